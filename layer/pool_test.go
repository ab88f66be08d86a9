package layer_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

// poolOutRef counts the windows along an axis the way the PoolConfig doc
// describes them, one at a time rather than by formula: windows start at
// multiples of the stride from -pad, a window is kept while it starts
// inside the input or its left padding, and the windows stop once one has
// reached the far edge of the padded input.
func poolOutRef(size, kernel, stride, pad int) int {
	n := 0
	for start := -pad; start < size; start += stride {
		n++
		if start+kernel >= size+pad {
			break
		}
	}
	return n
}

// poolReference pools from the definition in float64: the maximum over the
// window's elements inside the input, or their sum divided by the size of
// the window clipped to the padded input.
func poolReference(in tensor.Shape, cfg layer.PoolConfig) gradcheck.Reference {
	h, w := in[1], in[2]
	sh, sw := cfg.StrideH, cfg.StrideW
	if sh == 0 {
		sh = cfg.KernelH
	}
	if sw == 0 {
		sw = cfg.KernelW
	}
	oh := poolOutRef(h, cfg.KernelH, sh, cfg.PadH)
	ow := poolOutRef(w, cfg.KernelW, sw, cfg.PadW)
	return func(x, _ [][]float64) []float64 {
		planes := len(x[0]) / (h * w)
		out := make([]float64, planes*oh*ow)
		for p := 0; p < planes; p++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					r0, c0 := i*sh-cfg.PadH, j*sw-cfg.PadW
					rows := min(r0+cfg.KernelH, h+cfg.PadH) - r0
					cols := min(c0+cfg.KernelW, w+cfg.PadW) - c0
					best, sum := math.Inf(-1), 0.0
					for r := max(r0, 0); r < min(r0+cfg.KernelH, h); r++ {
						for col := max(c0, 0); col < min(c0+cfg.KernelW, w); col++ {
							v := x[0][(p*h+r)*w+col]
							best = max(best, v)
							sum += v
						}
					}
					o := &out[(p*oh+i)*ow+j]
					if cfg.Method == layer.PoolMax {
						*o = best
					} else {
						*o = sum / float64(rows*cols)
					}
				}
			}
		}
		return out
	}
}

func TestPoolGradient(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    tensor.Shape
		cfg   layer.PoolConfig
		batch int
	}{
		{"2x2 stride 2", tensor.Shape{2, 6, 6},
			layer.PoolConfig{KernelH: 2, KernelW: 2}, 3},
		{"3x3 stride 2 ceil", tensor.Shape{2, 8, 8},
			layer.PoolConfig{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2}, 3},
		{"odd size ceil", tensor.Shape{3, 7, 5},
			layer.PoolConfig{KernelH: 2, KernelW: 2}, 2},
		{"padded", tensor.Shape{2, 5, 6},
			layer.PoolConfig{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, 2},
		{"padded drops last window", tensor.Shape{1, 3, 3},
			layer.PoolConfig{KernelH: 2, KernelW: 2, PadH: 1, PadW: 1}, 4},
		{"non-square overlapping", tensor.Shape{2, 9, 7},
			layer.PoolConfig{KernelH: 3, KernelW: 2, StrideH: 1, StrideW: 2, PadH: 2}, 2},
		{"stride beyond kernel", tensor.Shape{1, 9, 10},
			layer.PoolConfig{KernelH: 2, KernelW: 3, StrideH: 3, StrideW: 4}, 2},
	} {
		for _, method := range []layer.PoolMethod{layer.PoolMax, layer.PoolAverage} {
			t.Run(tc.name+"/"+string(method), func(t *testing.T) {
				cfg := tc.cfg
				cfg.Method = method
				c := gradcheck.Case{
					Layer:     layer.NewPool("pool1", cfg),
					In:        []tensor.Shape{tc.in},
					Batch:     tc.batch,
					Reference: poolReference(tc.in, cfg),
				}
				if method == layer.PoolMax {
					// Distinct inputs: no tie within the numeric step.
					c.Gen = gradcheck.Distinct
				}
				gradcheck.Check(t, c)
			})
		}
	}
}

// TestPoolAverageDivisor pins the divisor of clipped windows to the values
// PyTorch's AvgPool2d(3, stride=2, padding=1, ceil_mode=True) gives on a
// 4×4 plane of ones: padding counts, the part beyond the padded input
// (rows and columns 5 and up) does not.
func TestPoolAverageDivisor(t *testing.T) {
	l := layer.NewPool("pool1", layer.PoolConfig{Method: layer.PoolAverage,
		KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1})
	shape, err := l.Setup([]tensor.Shape{{1, 4, 4}})
	if err != nil {
		t.Fatal(err)
	}
	x := tensor.New(1, 1, 4, 4)
	for i := range x.Data {
		x.Data[i] = 1
	}
	out := tensor.New(shape.WithBatch(1)...)
	l.Forward(gradcheck.NewContext(1), []*tensor.Tensor{x}, out)
	want := []float32{
		4.0 / 9, 6.0 / 9, 2.0 / 6,
		6.0 / 9, 9.0 / 9, 3.0 / 6,
		2.0 / 6, 3.0 / 6, 1.0 / 4,
	}
	for i, w := range want {
		if math.Abs(float64(out.Data[i]-w)) > 1e-6 {
			t.Errorf("out[%d] = %v, want %v", i, out.Data[i], w)
		}
	}
}

// TestPoolMaxTieAndNaN checks the documented choices: a tie goes to the
// first element in row-major order, and NaN propagates.
func TestPoolMaxTieAndNaN(t *testing.T) {
	for _, k := range []int{2, 3, 4} {
		// Plane k×2k: two windows, the first with a tie between its
		// second element and its last, the second holding a NaN.
		l := layer.NewPool("pool1", layer.PoolConfig{Method: layer.PoolMax, KernelH: k,
			KernelW: k})
		shape, err := l.Setup([]tensor.Shape{{1, k, 2 * k}})
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(1, 1, k, 2*k)
		for i := range x.Data {
			x.Data[i] = -float32(i)
		}
		x.Data[1], x.Data[(k-1)*2*k+k-1] = 5, 5
		x.Data[(k-1)*2*k+k] = float32(math.NaN())
		out := tensor.New(shape.WithBatch(1)...)
		ctx := gradcheck.NewContext(1)
		l.Forward(ctx, []*tensor.Tensor{x}, out)
		if out.Data[0] != 5 || !math.IsNaN(float64(out.Data[1])) {
			t.Fatalf("kernel %d: out = %v, want [5 NaN]", k, out.Data)
		}
		dOut, _ := tensor.FromData(out.Shape, []float32{10, 0})
		dx := tensor.New(x.Shape...)
		l.Backward(ctx, []*tensor.Tensor{x}, out, dOut, []*tensor.Tensor{dx})
		for i, v := range dx.Data {
			if want := float32(0); i == 1 && v != 10 || i != 1 && v != want {
				t.Fatalf("kernel %d: dx = %v, want 10 at index 1 only", k, dx.Data)
			}
		}
	}
}

func TestPoolOutputShape(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   tensor.Shape
		cfg  layer.PoolConfig
		want tensor.Shape
	}{
		{"lenet pool1", tensor.Shape{20, 24, 24}, layer.PoolConfig{KernelH: 2, KernelW: 2},
			tensor.Shape{20, 12, 12}},
		{"lenet pool2", tensor.Shape{50, 8, 8}, layer.PoolConfig{KernelH: 2, KernelW: 2},
			tensor.Shape{50, 4, 4}},
		{"cifar pool1", tensor.Shape{32, 32, 32},
			layer.PoolConfig{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2},
			tensor.Shape{32, 16, 16}},
		{"cifar pool2", tensor.Shape{32, 16, 16},
			layer.PoolConfig{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2},
			tensor.Shape{32, 8, 8}},
		{"cifar pool3", tensor.Shape{64, 8, 8},
			layer.PoolConfig{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2},
			tensor.Shape{64, 4, 4}},
		{"alexnet pool1", tensor.Shape{96, 55, 55},
			layer.PoolConfig{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2},
			tensor.Shape{96, 27, 27}},
		{"alexnet pool5", tensor.Shape{256, 13, 13},
			layer.PoolConfig{KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2},
			tensor.Shape{256, 6, 6}},
		{"odd rounds up", tensor.Shape{1, 5, 7}, layer.PoolConfig{KernelH: 2, KernelW: 2},
			tensor.Shape{1, 3, 4}},
		// ceil(4/2)+1 = 3 windows: the third starts at 3, inside the input.
		{"padded keeps last", tensor.Shape{1, 4, 4},
			layer.PoolConfig{KernelH: 2, KernelW: 2, PadH: 1, PadW: 1},
			tensor.Shape{1, 3, 3}},
		// ceil(3/2)+1 = 3 windows, but the third would start at 3, in the
		// bottom padding, so it is dropped.
		{"padded drops last", tensor.Shape{1, 3, 3},
			layer.PoolConfig{KernelH: 2, KernelW: 2, PadH: 1, PadW: 1},
			tensor.Shape{1, 2, 2}},
		{"global", tensor.Shape{8, 6, 6}, layer.PoolConfig{KernelH: 6, KernelW: 6},
			tensor.Shape{8, 1, 1}},
	} {
		for _, method := range []layer.PoolMethod{layer.PoolMax, layer.PoolAverage} {
			t.Run(tc.name+"/"+string(method), func(t *testing.T) {
				cfg := tc.cfg
				cfg.Method = method
				l := layer.NewPool("pool", cfg)
				got, err := l.Setup([]tensor.Shape{tc.in})
				if err != nil {
					t.Fatal(err)
				}
				if !got.Equal(tc.want) {
					t.Errorf("output shape %v, want %v", got, tc.want)
				}
				sh, sw := cfg.StrideH, cfg.StrideW
				if sh == 0 {
					sh, sw = cfg.KernelH, cfg.KernelW
				}
				if r := poolOutRef(tc.in[1], cfg.KernelH, sh, cfg.PadH); r != tc.want[1] {
					t.Errorf("reference counts %d rows of windows, table %d", r, tc.want[1])
				}
				if r := poolOutRef(tc.in[2], cfg.KernelW, sw, cfg.PadW); r != tc.want[2] {
					t.Errorf("reference counts %d columns of windows, table %d", r, tc.want[2])
				}
				want := int64(tc.want.Size() * cfg.KernelH * cfg.KernelW)
				if f := l.ForwardFLOPs(); f != want {
					t.Errorf("ForwardFLOPs %d, want %d", f, want)
				}
				if l.Params() != nil {
					t.Errorf("pooling has parameters")
				}
			})
		}
	}
}

func TestPoolSetupErrors(t *testing.T) {
	good := layer.PoolConfig{Method: layer.PoolMax, KernelH: 3, KernelW: 3}
	for _, tc := range []struct {
		name   string
		in     []tensor.Shape
		edit   func(*layer.PoolConfig)
		target error
		want   string
	}{
		{"method", nil, func(c *layer.PoolConfig) { c.Method = "median" },
			layer.ErrConfig, `layer: pool1: method "median" is not "max" or "average"`},
		{"kernel_h", nil, func(c *layer.PoolConfig) { c.KernelH = 0 },
			layer.ErrConfig, "kernel_h must be positive, got 0"},
		{"kernel_w", nil, func(c *layer.PoolConfig) { c.KernelW = -2 },
			layer.ErrConfig, "kernel_w must be positive, got -2"},
		{"stride_h", nil, func(c *layer.PoolConfig) { c.StrideH = -1 },
			layer.ErrConfig, "stride_h must be positive"},
		{"stride_w", nil, func(c *layer.PoolConfig) { c.StrideW = -1 },
			layer.ErrConfig, "stride_w must be positive"},
		{"pad_h negative", nil, func(c *layer.PoolConfig) { c.PadH = -1 },
			layer.ErrConfig, "pad_h -1 must be in [0, kernel_h 3)"},
		{"pad_w as large as kernel", nil, func(c *layer.PoolConfig) { c.PadW = 3 },
			layer.ErrConfig, "pad_w 3 must be in [0, kernel_w 3)"},
		{"kernel height", []tensor.Shape{{2, 2, 8}}, func(c *layer.PoolConfig) {},
			layer.ErrShape, "layer: pool1: kernel_h 3 larger than padded input height 2"},
		{"kernel width", []tensor.Shape{{2, 8, 2}}, func(c *layer.PoolConfig) { c.KernelW = 5 },
			layer.ErrShape, "kernel_w 5 larger than padded input width 2"},
		{"two inputs", []tensor.Shape{{1, 8, 8}, {1, 8, 8}}, func(c *layer.PoolConfig) {},
			layer.ErrShape, "takes 1 input, got 2"},
		{"vector input", []tensor.Shape{{8}}, func(c *layer.PoolConfig) {},
			layer.ErrShape, "not channels×height×width"},
		{"empty input", []tensor.Shape{{2, 0, 8}}, func(c *layer.PoolConfig) {},
			layer.ErrShape, "empty dimension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			in := tc.in
			if in == nil {
				in = []tensor.Shape{{2, 8, 8}}
			}
			_, err := layer.NewPool("pool1", cfg).Setup(in)
			if err == nil {
				t.Fatalf("Setup succeeded, want error containing %q", tc.want)
			}
			if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %v containing %q", err, tc.target, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "layer: pool1: ") {
				t.Errorf("error %q does not name the layer", err)
			}
		})
	}
}

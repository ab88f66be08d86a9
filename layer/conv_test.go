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

// convReference computes a grouped, strided, padded 2-D cross-correlation
// element by element from its definition, in float64: the loops visit every
// kernel tap and skip those that land in the padding.
func convReference(in tensor.Shape, cfg layer.Conv2DConfig) gradcheck.Reference {
	c, h, w := in[0], in[1], in[2]
	sh, sw := max(cfg.StrideH, 1), max(cfg.StrideW, 1)
	groups := max(cfg.Groups, 1)
	oh := (h+2*cfg.PadH-cfg.KernelH)/sh + 1
	ow := (w+2*cfg.PadW-cfg.KernelW)/sw + 1
	cg, fg := c/groups, cfg.Filters/groups
	return func(x, params [][]float64) []float64 {
		wt := params[0]
		n := len(x[0]) / (c * h * w)
		out := make([]float64, n*cfg.Filters*oh*ow)
		for s := 0; s < n; s++ {
			for f := 0; f < cfg.Filters; f++ {
				g := f / fg
				for i := 0; i < oh; i++ {
					for j := 0; j < ow; j++ {
						var sum float64
						if !cfg.NoBias {
							sum = params[1][f]
						}
						for ci := 0; ci < cg; ci++ {
							for p := 0; p < cfg.KernelH; p++ {
								for q := 0; q < cfg.KernelW; q++ {
									r, col := i*sh-cfg.PadH+p, j*sw-cfg.PadW+q
									if r < 0 || r >= h || col < 0 || col >= w {
										continue
									}
									xv := x[0][((s*c+g*cg+ci)*h+r)*w+col]
									wv := wt[((f*cg+ci)*cfg.KernelH+p)*cfg.KernelW+q]
									sum += xv * wv
								}
							}
						}
						out[((s*cfg.Filters+f)*oh+i)*ow+j] = sum
					}
				}
			}
		}
		return out
	}
}

func TestConv2DGradient(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    tensor.Shape
		cfg   layer.Conv2DConfig
		batch int
	}{
		{"3x3 pad 1", tensor.Shape{2, 5, 5},
			layer.Conv2DConfig{Filters: 3, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1}, 4},
		{"stride 2 non-square", tensor.Shape{2, 7, 6},
			layer.Conv2DConfig{Filters: 3, KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 3,
				PadH: 1}, 3},
		{"groups", tensor.Shape{4, 5, 4},
			layer.Conv2DConfig{Filters: 6, KernelH: 2, KernelW: 3, PadW: 2, Groups: 2}, 3},
		{"groups no bias", tensor.Shape{6, 4, 4},
			layer.Conv2DConfig{Filters: 3, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2,
				PadH: 2, PadW: 1, Groups: 3, NoBias: true}, 2},
		{"no bias", tensor.Shape{1, 6, 5},
			layer.Conv2DConfig{Filters: 2, KernelH: 5, KernelW: 3, NoBias: true}, 4},
		{"1x1 direct", tensor.Shape{5, 3, 4},
			layer.Conv2DConfig{Filters: 4, KernelH: 1, KernelW: 1}, 3},
		{"1x1 grouped", tensor.Shape{4, 3, 3},
			layer.Conv2DConfig{Filters: 4, KernelH: 1, KernelW: 1, Groups: 2}, 2},
		{"1x1 stride 2", tensor.Shape{3, 5, 5},
			layer.Conv2DConfig{Filters: 2, KernelH: 1, KernelW: 1, StrideH: 2, StrideW: 2}, 2},
		// More samples than gradient blocks, of unequal sizes.
		{"many samples", tensor.Shape{2, 4, 4},
			layer.Conv2DConfig{Filters: 2, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1}, 19},
		// Kernel as large as the padded input: one output position.
		{"kernel covers input", tensor.Shape{2, 3, 2},
			layer.Conv2DConfig{Filters: 2, KernelH: 5, KernelW: 2, PadH: 1}, 2},
		// Rows of 16 and 32 outputs take the direct form (Note [Direct
		// convolution]) where the CPU has its tile, forward and, with
		// same padding, for the input gradient; 7 filters leave a
		// partial tile.
		{"direct same padding", tensor.Shape{2, 3, 16},
			layer.Conv2DConfig{Filters: 7, KernelH: 3, KernelW: 5, PadH: 1, PadW: 2}, 3},
		{"direct no padding", tensor.Shape{3, 3, 36},
			layer.Conv2DConfig{Filters: 6, KernelH: 2, KernelW: 5, NoBias: true}, 2},
		// 512 output positions: the weight gradient's first 9 rows of 10
		// take the dot-product kernel, the last OpenBLAS.
		{"dot weight gradient", tensor.Shape{1, 16, 32},
			layer.Conv2DConfig{Filters: 4, KernelH: 2, KernelW: 5, PadH: 1, PadW: 2}, 2},
		// Rows of 8, an even number of them, take the wide tile two rows
		// at a time; an odd number, and rows of 24, the narrow tile, 13
		// filters two and a part.
		{"direct two rows", tensor.Shape{2, 4, 8},
			layer.Conv2DConfig{Filters: 7, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1}, 2},
		{"direct narrow", tensor.Shape{2, 3, 8},
			layer.Conv2DConfig{Filters: 13, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1}, 2},
		{"direct narrow wide rows", tensor.Shape{1, 2, 26},
			layer.Conv2DConfig{Filters: 3, KernelH: 2, KernelW: 3}, 2},
		// 256 outputs in rows of 16 and filters in fours: the weight
		// gradient reads the padded input in runs (Note [Weight gradient
		// from the padded input]), channels in threes, with none, one and
		// two left over.
		{"padded weight gradient", tensor.Shape{3, 16, 16},
			layer.Conv2DConfig{Filters: 4, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1}, 2},
		{"padded weight gradient, a channel over", tensor.Shape{4, 16, 17},
			layer.Conv2DConfig{Filters: 8, KernelH: 3, KernelW: 2, PadH: 1}, 2},
		{"padded weight gradient, two channels over", tensor.Shape{5, 8, 32},
			layer.Conv2DConfig{Filters: 4, KernelH: 1, KernelW: 3, PadW: 1, NoBias: true}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := layer.NewConv2D("conv1", tc.cfg)
			gradcheck.Check(t, gradcheck.Case{
				Layer:     l,
				In:        []tensor.Shape{tc.in},
				Batch:     tc.batch,
				Reference: convReference(tc.in, tc.cfg),
			})
		})
	}
}

// TestConv2DThreadsBitIdentical checks, on a batch large enough for every
// gradient block to hold several samples, that the thread count changes no
// bit of any result.
func TestConv2DThreadsBitIdentical(t *testing.T) {
	// All but the first take the direct form: wide tiles, narrow ones, and
	// wide ones over two rows of 8.
	for _, in := range []tensor.Shape{{3, 9, 9}, {3, 5, 16}, {3, 5, 8}, {3, 6, 8}} {
		cfg := layer.Conv2DConfig{Filters: 4, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1}
		var first []float32
		for _, threads := range []int{1, 2, 3, 5, 8} {
			l := layer.NewConv2D("conv1", cfg)
			got := runConv(t, l, in, 37, threads)
			if first == nil {
				first = got
				continue
			}
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%v, threads %d: result %d is %v, with 1 thread %v",
						in, threads, i, got[i], first[i])
				}
			}
		}
	}
}

// TestConv2DDirectFiltersSplit checks that the direct form gives each
// filter's output the same bits whichever filters share its tile, which a
// model-parallel split of the filters relies on: a layer of 13 filters
// against layers of its first 5 and its last 8.
func TestConv2DDirectFiltersSplit(t *testing.T) {
	for _, in := range []tensor.Shape{{3, 4, 16}, {3, 4, 8}, {3, 3, 8}} {
		checkFiltersSplit(t, in)
	}
}

func checkFiltersSplit(t *testing.T, in tensor.Shape) {
	cfg := func(f int) layer.Conv2DConfig {
		return layer.Conv2DConfig{Filters: f, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1}
	}
	whole := layer.NewConv2D("conv", cfg(13))
	outWhole := forwardOnce(t, whole, in, nil)
	w := whole.Params()[0].Value.Data
	per := len(w) / 13
	ohw := in[1] * in[2]
	for _, part := range []struct{ first, n int }{{0, 5}, {5, 8}} {
		l := layer.NewConv2D("conv", cfg(part.n))
		got := forwardOnce(t, l, in, w[part.first*per:(part.first+part.n)*per])
		for s := range 2 {
			for i := range part.n * ohw {
				want := outWhole[(s*13+part.first)*ohw+i]
				if math.Float32bits(got[s*part.n*ohw+i]) != math.Float32bits(want) {
					t.Fatalf("filters %d+%d, sample %d: output %d is %v, in the whole layer %v",
						part.first, part.n, s, i, got[s*part.n*ohw+i], want)
				}
			}
		}
	}
}

// forwardOnce sets l up, gives it weights w (its own when nil) and a zero
// bias, and returns its output on a fixed batch of 2.
func forwardOnce(t *testing.T, l *layer.Conv2D, in tensor.Shape, w []float32) []float32 {
	t.Helper()
	shape, err := l.Setup([]tensor.Shape{in})
	if err != nil {
		t.Fatal(err)
	}
	l.Init(7)
	if w != nil {
		copy(l.Params()[0].Value.Data, w)
	}
	clear(l.Params()[1].Value.Data)
	x := tensor.New(in.WithBatch(2)...)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i)))
	}
	out := tensor.New(shape.WithBatch(2)...)
	l.Forward(gradcheck.NewContext(2), []*tensor.Tensor{x}, out)
	return out.Data
}

// runConv sets l up, runs Forward and Backward on a fixed batch with the
// given threads, and returns out, dx, dW and db concatenated.
func runConv(t *testing.T, l *layer.Conv2D, in tensor.Shape, batch, threads int) []float32 {
	t.Helper()
	shape, err := l.Setup([]tensor.Shape{in})
	if err != nil {
		t.Fatal(err)
	}
	l.Init(7)
	x := tensor.New(in.WithBatch(batch)...)
	for i := range x.Data {
		x.Data[i] = float32(math.Sin(float64(i)))
	}
	out := tensor.New(shape.WithBatch(batch)...)
	dOut := tensor.New(shape.WithBatch(batch)...)
	for i := range dOut.Data {
		dOut.Data[i] = float32(math.Cos(float64(i)))
	}
	dx := tensor.New(in.WithBatch(batch)...)
	ctx := gradcheck.NewContext(threads)
	l.Forward(ctx, []*tensor.Tensor{x}, out)
	l.Backward(ctx, []*tensor.Tensor{x}, out, dOut, []*tensor.Tensor{dx})
	res := append(append([]float32(nil), out.Data...), dx.Data...)
	for _, p := range l.Params() {
		res = append(res, p.Grad.Data...)
	}
	return res
}

func TestConv2DOutputShape(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   tensor.Shape
		cfg  layer.Conv2DConfig
		want tensor.Shape
	}{
		{"lenet conv1", tensor.Shape{1, 28, 28},
			layer.Conv2DConfig{Filters: 20, KernelH: 5, KernelW: 5}, tensor.Shape{20, 24, 24}},
		{"lenet conv2", tensor.Shape{20, 12, 12},
			layer.Conv2DConfig{Filters: 50, KernelH: 5, KernelW: 5}, tensor.Shape{50, 8, 8}},
		{"cifar conv1", tensor.Shape{3, 32, 32},
			layer.Conv2DConfig{Filters: 32, KernelH: 5, KernelW: 5, PadH: 2, PadW: 2},
			tensor.Shape{32, 32, 32}},
		{"alexnet conv1", tensor.Shape{3, 227, 227},
			layer.Conv2DConfig{Filters: 96, KernelH: 11, KernelW: 11, StrideH: 4, StrideW: 4},
			tensor.Shape{96, 55, 55}},
		{"alexnet conv2 grouped", tensor.Shape{96, 27, 27},
			layer.Conv2DConfig{Filters: 256, KernelH: 5, KernelW: 5, PadH: 2, PadW: 2,
				Groups: 2},
			tensor.Shape{256, 27, 27}},
		// Floor division: the last column of the input is never reached.
		{"stride leaves a remainder", tensor.Shape{1, 8, 8},
			layer.Conv2DConfig{Filters: 1, KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 3},
			tensor.Shape{1, 3, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := layer.NewConv2D("conv", tc.cfg)
			got, err := l.Setup([]tensor.Shape{tc.in})
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) {
				t.Errorf("output shape %v, want %v", got, tc.want)
			}
			g := max(tc.cfg.Groups, 1)
			wantW := tensor.Shape{tc.cfg.Filters, tc.in[0] / g, tc.cfg.KernelH, tc.cfg.KernelW}
			if w := l.Params()[0]; !w.Value.Shape.Equal(wantW) || w.Name != "conv.weight" {
				t.Errorf("weight %s shape %v, want conv.weight %v", w.Name, w.Value.Shape, wantW)
			}
			wantFLOPs := int64(2*wantW.Size()+tc.cfg.Filters) * int64(tc.want[1]*tc.want[2])
			if f := l.ForwardFLOPs(); f != wantFLOPs {
				t.Errorf("ForwardFLOPs %d, want %d", f, wantFLOPs)
			}
		})
	}
}

func TestConv2DSetupErrors(t *testing.T) {
	good := layer.Conv2DConfig{Filters: 4, KernelH: 3, KernelW: 3}
	for _, tc := range []struct {
		name   string
		in     []tensor.Shape
		edit   func(*layer.Conv2DConfig)
		target error
		want   string
	}{
		{"filters", nil, func(c *layer.Conv2DConfig) { c.Filters = 0 },
			layer.ErrConfig, "layer: conv1: filters must be positive, got 0"},
		{"kernel_h", nil, func(c *layer.Conv2DConfig) { c.KernelH = -1 },
			layer.ErrConfig, "kernel_h must be positive"},
		{"kernel_w", nil, func(c *layer.Conv2DConfig) { c.KernelW = 0 },
			layer.ErrConfig, "kernel_w must be positive"},
		{"stride_h", nil, func(c *layer.Conv2DConfig) { c.StrideH = -2 },
			layer.ErrConfig, "stride_h must be positive"},
		{"stride_w", nil, func(c *layer.Conv2DConfig) { c.StrideW = -1 },
			layer.ErrConfig, "stride_w must be positive"},
		{"pad_h", nil, func(c *layer.Conv2DConfig) { c.PadH = -1 },
			layer.ErrConfig, "pad_h must not be negative"},
		{"pad_w", nil, func(c *layer.Conv2DConfig) { c.PadW = -3 },
			layer.ErrConfig, "pad_w must not be negative"},
		{"groups negative", nil, func(c *layer.Conv2DConfig) { c.Groups = -1 },
			layer.ErrConfig, "groups must be positive"},
		{"groups filters", nil, func(c *layer.Conv2DConfig) { c.Groups = 3 },
			layer.ErrConfig, "groups 3 does not divide 4 filters"},
		{"weight fill", nil, func(c *layer.Conv2DConfig) { c.WeightFill.Kind = "zeros" },
			layer.ErrConfig, "weight_fill"},
		{"bias fill", nil, func(c *layer.Conv2DConfig) {
			c.BiasFill = layer.Fill{Kind: layer.FillUniform, Min: 1, Max: 0}
		}, layer.ErrConfig, "bias_fill"},
		{"groups channels", []tensor.Shape{{3, 8, 8}},
			func(c *layer.Conv2DConfig) { c.Groups = 2 },
			layer.ErrShape, "layer: conv1: groups 2 does not divide 3 input channels"},
		{"kernel height", []tensor.Shape{{1, 2, 8}}, func(c *layer.Conv2DConfig) {},
			layer.ErrShape, "layer: conv1: kernel_h 3 larger than padded input height 2"},
		{"kernel width", []tensor.Shape{{1, 8, 3}}, func(c *layer.Conv2DConfig) { c.KernelW = 6 },
			layer.ErrShape, "kernel_w 6 larger than padded input width 3"},
		{"two inputs", []tensor.Shape{{1, 8, 8}, {1, 8, 8}}, func(c *layer.Conv2DConfig) {},
			layer.ErrShape, "takes 1 input, got 2"},
		{"vector input", []tensor.Shape{{8}}, func(c *layer.Conv2DConfig) {},
			layer.ErrShape, "not channels×height×width"},
		{"empty input", []tensor.Shape{{0, 8, 8}}, func(c *layer.Conv2DConfig) {},
			layer.ErrShape, "empty dimension"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			in := tc.in
			if in == nil {
				in = []tensor.Shape{{4, 8, 8}}
			}
			_, err := layer.NewConv2D("conv1", cfg).Setup(in)
			if err == nil {
				t.Fatalf("Setup succeeded, want error containing %q", tc.want)
			}
			if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q (is %v: %v), want %v containing %q",
					err, tc.target, errors.Is(err, tc.target), tc.target, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "layer: conv1: ") {
				t.Errorf("error %q does not name the layer", err)
			}
		})
	}
}

func TestConv2DInit(t *testing.T) {
	l := layer.NewConv2D("conv1", layer.Conv2DConfig{Filters: 8, KernelH: 3, KernelW: 3,
		Groups: 2})
	if _, err := l.Setup([]tensor.Shape{{4, 6, 6}}); err != nil {
		t.Fatal(err)
	}
	l.Init(3)

	// Xavier by default with Caffe's fans: fanIn = 2·3·3, fanOut = 4·3·3.
	bound := math.Sqrt(6.0 / (18 + 36))
	w := l.Params()[0].Value.Data
	var sumSq float64
	for _, v := range w {
		if math.Abs(float64(v)) > bound {
			t.Fatalf("weight %v outside ±%v", v, bound)
		}
		sumSq += float64(v) * float64(v)
	}

	// A uniform on ±a has variance a²/3; with 144 draws the sample
	// variance is well within a factor of two of it.
	if v := sumSq / float64(len(w)); v < bound*bound/6 || v > bound*bound/1.5 {
		t.Errorf("weight variance %v, want about %v", v, bound*bound/3)
	}
	for _, v := range l.Params()[1].Value.Data {
		if v != 0 {
			t.Fatalf("bias %v, want 0 by default", v)
		}
	}
	if l.Params()[1].DecayMult != 0 || l.Params()[0].DecayMult != 1 {
		t.Errorf("decay multipliers %v, %v; want 1 for the weight, 0 for the bias",
			l.Params()[0].DecayMult, l.Params()[1].DecayMult)
	}
}

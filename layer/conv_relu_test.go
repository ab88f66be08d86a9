package layer_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

// convReLU runs a convolution through ForwardReLU and BackwardReLU, so
// that the fused pair can be checked as one layer.
type convReLU struct{ *layer.Conv2D }

func (l convReLU) Forward(ctx *layer.Context, in []*tensor.Tensor, out *tensor.Tensor) {
	l.ForwardReLU(ctx, in, out)
}

func (l convReLU) Backward(ctx *layer.Context, in []*tensor.Tensor, out,
	dOut *tensor.Tensor, dIn []*tensor.Tensor) {
	l.BackwardReLU(ctx, in, out, dOut, dIn)
}

func TestConv2DReLUGradient(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    tensor.Shape
		cfg   layer.Conv2DConfig
		batch int
	}{
		{"5x5 pad 2", tensor.Shape{3, 6, 6},
			layer.Conv2DConfig{Filters: 4, KernelH: 5, KernelW: 5, PadH: 2, PadW: 2}, 3},
		{"stride 2 groups", tensor.Shape{4, 7, 6},
			layer.Conv2DConfig{Filters: 4, KernelH: 3, KernelW: 2, StrideH: 2, StrideW: 3,
				PadH: 1, Groups: 2}, 3},
		{"1x1 direct no bias", tensor.Shape{5, 3, 4},
			layer.Conv2DConfig{Filters: 4, KernelH: 1, KernelW: 1, NoBias: true}, 2},
		{"many samples", tensor.Shape{2, 4, 4},
			layer.Conv2DConfig{Filters: 2, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1}, 19},
		{"direct", tensor.Shape{2, 3, 16},
			layer.Conv2DConfig{Filters: 7, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conv := convReference(tc.in, tc.cfg)
			gradcheck.Check(t, gradcheck.Case{
				Layer: convReLU{layer.NewConv2D("conv1", tc.cfg)},
				In:    []tensor.Shape{tc.in},
				Batch: tc.batch,
				Reference: func(in, params [][]float64) []float64 {
					out := conv(in, params)
					for i, v := range out {
						out[i] = max(v, 0)
					}
					return out
				},
			})
		})
	}
}

// TestConv2DReLUMatchesPair checks that ForwardReLU and BackwardReLU give,
// bit for bit, what Forward and Backward followed by a ReLU layer give,
// and leave dOut alone.
func TestConv2DReLUMatchesPair(t *testing.T) {
	in := tensor.Shape{3, 8, 8}
	cfg := layer.Conv2DConfig{Filters: 5, KernelH: 3, KernelW: 3, PadH: 1, PadW: 1}
	rng := rand.New(rand.NewPCG(3, 4))
	x := tensor.New(append(tensor.Shape{11}, in...)...)
	for i := range x.Data {
		x.Data[i] = rng.Float32()*2 - 1
	}

	run := func(fused bool, threads int) [][]float32 {
		conv := layer.NewConv2D("conv1", cfg)
		shape, err := conv.Setup([]tensor.Shape{in})
		if err != nil {
			t.Fatal(err)
		}
		conv.Init(7)
		relu := layer.NewReLU("relu1")
		if _, err := relu.Setup([]tensor.Shape{shape}); err != nil {
			t.Fatal(err)
		}
		ctx := gradcheck.NewContext(threads)
		y := tensor.New(shape.WithBatch(11)...)
		r := tensor.New(shape.WithBatch(11)...)
		dr := tensor.New(shape.WithBatch(11)...)
		for i := range dr.Data {
			dr.Data[i] = rng.Float32() - 0.5
		}
		dy := tensor.New(shape.WithBatch(11)...)
		dx := tensor.New(x.Shape...)
		if fused {
			conv.ForwardReLU(ctx, []*tensor.Tensor{x}, r)
			before := append([]float32(nil), dr.Data...)
			conv.BackwardReLU(ctx, []*tensor.Tensor{x}, r, dr, []*tensor.Tensor{dx})
			for i := range before {
				if math.Float32bits(before[i]) != math.Float32bits(dr.Data[i]) {
					t.Fatalf("BackwardReLU changed dOut[%d]", i)
				}
			}
		} else {
			conv.Forward(ctx, []*tensor.Tensor{x}, y)
			relu.Forward(ctx, []*tensor.Tensor{y}, r)
			relu.Backward(ctx, []*tensor.Tensor{y}, r, dr, []*tensor.Tensor{dy})
			conv.Backward(ctx, []*tensor.Tensor{x}, y, dy, []*tensor.Tensor{dx})
		}
		res := [][]float32{r.Data, dx.Data}
		for _, p := range conv.Params() {
			res = append(res, p.Grad.Data)
		}
		return res
	}

	for _, threads := range []int{1, 2, 3} {
		rng = rand.New(rand.NewPCG(5, 6))
		want := run(false, threads)
		rng = rand.New(rand.NewPCG(5, 6))
		got := run(true, threads)
		for k := range want {
			for i := range want[k] {
				if math.Float32bits(got[k][i]) != math.Float32bits(want[k][i]) {
					t.Fatalf("threads %d: result %d element %d: fused %v, pair %v",
						threads, k, i, got[k][i], want[k][i])
				}
			}
		}
	}
}

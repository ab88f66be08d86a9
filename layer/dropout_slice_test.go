package layer_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/blas/native"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

// TestDropoutSliceMatchesWhole cuts a dropout layer's samples into channel
// ranges and checks that each slice drops and scales exactly the elements
// the whole layer does, forward and backward.
func TestDropoutSliceMatchesWhole(t *testing.T) {
	for _, tc := range []struct {
		name    string
		shape   tensor.Shape
		cuts    []int // channel boundaries
		threads int
	}{
		{"three slices", tensor.Shape{6, 2, 2}, []int{0, 2, 5, 6}, 1},
		{"vector", tensor.Shape{10}, []int{0, 5, 10}, 1},
		// Above the threshold where samples split among threads.
		{"threads", tensor.Shape{4, 128, 64}, []int{0, 1, 4}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const batch, seed = 5, 99
			cfg := layer.DropoutConfig{Rate: 0.4}
			ctx := &layer.Context{BLAS: native.New(1), SerialBLAS: native.New(1),
				Threads: tc.threads, Train: true, Step: 7, SampleOffset: 12}
			whole := layer.NewDropout("drop", cfg)
			if _, err := whole.Setup([]tensor.Shape{tc.shape}); err != nil {
				t.Fatal(err)
			}
			whole.Init(seed)

			rng := rand.New(rand.NewPCG(1, 2))
			x := tensor.New(append([]int{batch}, tc.shape...)...)
			dy := tensor.New(x.Shape...)
			for i := range x.Data {
				x.Data[i], dy.Data[i] = rng.Float32()+0.5, rng.Float32()+0.5
			}
			y, dx := tensor.New(x.Shape...), tensor.New(x.Shape...)
			whole.Forward(ctx, []*tensor.Tensor{x}, y)
			whole.Backward(ctx, []*tensor.Tensor{x}, y, dy, []*tensor.Tensor{dx})

			per := tc.shape.Size()
			spatial := per / tc.shape[0]
			for k := 0; k+1 < len(tc.cuts); k++ {
				lo, hi := tc.cuts[k]*spatial, tc.cuts[k+1]*spatial
				shape := tc.shape.Clone()
				shape[0] = tc.cuts[k+1] - tc.cuts[k]
				part := layer.NewDropoutSlice("drop", cfg, lo)
				if _, err := part.Setup([]tensor.Shape{shape}); err != nil {
					t.Fatal(err)
				}
				part.Init(seed)
				px, pdy := columns(x, per, lo, hi), columns(dy, per, lo, hi)
				py, pdx := tensor.New(px.Shape...), tensor.New(px.Shape...)
				part.Forward(ctx, []*tensor.Tensor{px}, py)
				part.Backward(ctx, []*tensor.Tensor{px}, py, pdy, []*tensor.Tensor{pdx})
				for name, pair := range map[string][2]*tensor.Tensor{
					"output":         {py, columns(y, per, lo, hi)},
					"input gradient": {pdx, columns(dx, per, lo, hi)},
				} {
					for i, v := range pair[0].Data {
						if v != pair[1].Data[i] {
							t.Fatalf("slice %d: %s element %d is %v, the whole layer's %v",
								k, name, i, v, pair[1].Data[i])
						}
					}
				}
			}
		})
	}
}

// columns copies elements [lo, hi) of every sample of x, whose samples
// hold per elements.
func columns(x *tensor.Tensor, per, lo, hi int) *tensor.Tensor {
	n := len(x.Data) / per
	out := tensor.New(n, hi-lo)
	for s := 0; s < n; s++ {
		copy(out.Data[s*(hi-lo):(s+1)*(hi-lo)], x.Data[s*per+lo:s*per+hi])
	}
	return out
}

func TestDropoutSliceRefusesANegativeOffset(t *testing.T) {
	l := layer.NewDropoutSlice("drop", layer.DropoutConfig{Rate: 0.5}, -3)
	_, err := l.Setup([]tensor.Shape{{4}})
	if !errors.Is(err, layer.ErrConfig) || l.Type() != "dropout" {
		t.Fatalf("got %v, type %s; want ErrConfig from a dropout", err, l.Type())
	}
}

func TestDropoutSliceGradient(t *testing.T) {
	const step, offset, sliceAt, seed = 3, 4, 10, 5
	shape := tensor.Shape{3, 2, 2}
	whole := layer.NewDropout("drop", layer.DropoutConfig{Rate: 0.5})
	if _, err := whole.Setup([]tensor.Shape{{sliceAt + shape.Size()}}); err != nil {
		t.Fatal(err)
	}
	whole.Init(seed)
	per := shape.Size()
	gradcheck.Check(t, gradcheck.Case{
		Layer: layer.NewDropoutSlice("drop", layer.DropoutConfig{Rate: 0.5}, sliceAt),
		In:    []tensor.Shape{shape},
		Batch: 3,
		Reference: func(in, _ [][]float64) []float64 {
			out := make([]float64, len(in[0]))
			for i, x := range in[0] {
				if layer.DropoutKeeps(whole, step, offset+i/per, sliceAt+i%per) {
					out[i] = x * 2
				}
			}
			return out
		},
		Context: &layer.Context{Step: step, SampleOffset: offset},
		Seed:    seed,
	})
}

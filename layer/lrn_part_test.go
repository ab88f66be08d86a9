package layer_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/blas/native"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

func TestLRNPartGradient(t *testing.T) {
	// A middle column: 2 channels below, 3 of its own, 2 above.
	cfg := layer.LRNConfig{Size: 5, Alpha: 2, Beta: 0.75, K: 1}
	in := []tensor.Shape{{2, 2, 2}, {3, 2, 2}, {2, 2, 2}}
	all := tensor.Shape{7, 2, 2}
	whole := lrnReference(all, cfg)
	gradcheck.Check(t, gradcheck.Case{
		Layer: layer.NewLRNPart("lrn", cfg, 1),
		In:    in,
		Batch: 2,
		Reference: func(x, _ [][]float64) []float64 {
			// Join the inputs sample by sample, normalise, keep the
			// middle channels.
			n := len(x[1]) / in[1].Size()
			joined := make([]float64, 0, n*all.Size())
			for s := range n {
				for j, sh := range in {
					joined = append(joined, x[j][s*sh.Size():(s+1)*sh.Size()]...)
				}
			}
			y := whole([][]float64{joined}, nil)
			var out []float64
			for s := range n {
				base := s*all.Size() + in[0].Size()
				out = append(out, y[base:base+in[1].Size()]...)
			}
			return out
		},
	})
}

// TestLRNPartsMakeTheWholeLayer cuts an LRN layer's channels into columns,
// each with the halo its windows need, and checks that the columns'
// outputs are the whole layer's bit for bit, and that the input gradients,
// each column's plus what its neighbours' halos return, add up to the
// whole layer's.
func TestLRNPartsMakeTheWholeLayer(t *testing.T) {
	const n = 3
	for _, tc := range []struct {
		name string
		cfg  layer.LRNConfig
		cuts []int
	}{
		{"two columns", layer.LRNConfig{Size: 5, Alpha: 1e-1, Beta: 0.75, K: 2},
			[]int{0, 6, 12}},
		{"four columns, wide window", layer.LRNConfig{Size: 7, Alpha: 0.5, Beta: 0.6, K: 1},
			[]int{0, 2, 5, 9, 12}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shape := tensor.Shape{12, 3, 2}
			spatial := 6
			ctx := &layer.Context{BLAS: native.New(1), SerialBLAS: native.New(1), Threads: 2,
				Train: true}
			rng := rand.New(rand.NewPCG(4, 5))
			x := tensor.New(shape.WithBatch(n)...)
			dy := tensor.New(x.Shape...)
			for i := range x.Data {
				x.Data[i], dy.Data[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			}
			whole := layer.NewLRN("lrn", tc.cfg)
			if _, err := whole.Setup([]tensor.Shape{shape}); err != nil {
				t.Fatal(err)
			}
			y, dx := tensor.New(x.Shape...), tensor.New(x.Shape...)
			whole.Forward(ctx, []*tensor.Tensor{x}, y)
			whole.Backward(ctx, []*tensor.Tensor{x}, y, dy, []*tensor.Tensor{dx})

			half := (tc.cfg.Size - 1) / 2
			sum := make([]float32, len(dx.Data))
			per := shape.Size()
			for k := 0; k+1 < len(tc.cuts); k++ {
				lo, hi := tc.cuts[k], tc.cuts[k+1]
				ranges := [][2]int{{max(0, lo-half), lo}, {lo, hi}, {hi, min(12, hi+half)}}
				var ins, grads []*tensor.Tensor
				var shapes []tensor.Shape
				main := 0
				for _, r := range ranges {
					if r[0] == r[1] {
						continue
					}
					if r[0] == lo {
						main = len(ins)
					}
					ins = append(ins, columns(x, per, r[0]*spatial, r[1]*spatial))
					grads = append(grads, tensor.New(n, (r[1]-r[0])*spatial))
					shapes = append(shapes, tensor.Shape{r[1] - r[0], 3, 2})
				}
				part := layer.NewLRNPart("lrn", tc.cfg, main)
				if _, err := part.Setup(shapes); err != nil {
					t.Fatal(err)
				}
				py := tensor.New(n, (hi-lo)*spatial)
				part.Forward(ctx, ins, py)
				want := columns(y, per, lo*spatial, hi*spatial)
				for i, v := range py.Data {
					if v != want.Data[i] {
						t.Fatalf("column %d: output %d is %v, the whole layer's %v", k, i, v,
							want.Data[i])
					}
				}
				part.Backward(ctx, ins, py, columns(dy, per, lo*spatial, hi*spatial), grads)
				j := 0
				for _, r := range ranges {
					if r[0] == r[1] {
						continue
					}
					w := (r[1] - r[0]) * spatial
					for s := range n {
						for i := range w {
							sum[s*per+r[0]*spatial+i] += grads[j].Data[s*w+i]
						}
					}
					j++
				}
			}
			var diff, size float64
			for i, v := range dx.Data {
				diff = max(diff, math.Abs(float64(sum[i]-v)))
				size = max(size, math.Abs(float64(v)))
			}
			if diff > 1e-6*size {
				t.Errorf("input gradients differ by %g, relative %g", diff, diff/size)
			}
		})
	}
}

func TestLRNPartRefusesBadInputs(t *testing.T) {
	for _, tc := range []struct {
		main int
		in   []tensor.Shape
	}{
		{2, []tensor.Shape{{2, 3, 3}, {4, 3, 3}}},
		{0, []tensor.Shape{{2, 3, 3}, {4, 3, 2}}},
		{0, []tensor.Shape{{2, 3, 3}, {}}},
	} {
		_, err := layer.NewLRNPart("lrn", layer.LRNConfig{}, tc.main).Setup(tc.in)
		if !errors.Is(err, layer.ErrShape) {
			t.Errorf("main %d of %v: got %v, want ErrShape", tc.main, tc.in, err)
		}
	}
	_, err := layer.NewLRNPart("lrn", layer.LRNConfig{Size: 4}, 0).Setup(
		[]tensor.Shape{{2, 3, 3}})
	if !errors.Is(err, layer.ErrConfig) {
		t.Errorf("size 4: got %v, want ErrConfig", err)
	}
}

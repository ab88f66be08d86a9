package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// convNet is a small convolutional DAG: relu1 is conv1's only reader and
// is fused; conv2 has two readers, relu2 and the concat, and is not.
func convNet(t *testing.T) *Graph {
	t.Helper()
	conv := func(name string, filters int) layer.Layer {
		return layer.NewConv2D(name, layer.Conv2DConfig{Filters: filters, KernelH: 3,
			KernelW: 3, PadH: 1, PadW: 1})
	}
	g, err := NewGraph(tensor.Shape{2, 6, 6}, []Node{
		{conv("conv1", 3), []string{"data"}},
		{layer.NewReLU("relu1"), []string{"conv1"}},
		{conv("conv2", 2), []string{"relu1"}},
		{layer.NewReLU("relu2"), []string{"conv2"}},
		{layer.NewConcat("cat"), []string{"relu2", "conv2"}},
		{layer.NewPool("pool", layer.PoolConfig{Method: layer.PoolMax, KernelH: 3,
			KernelW: 3, StrideH: 2, StrideW: 2}), []string{"cat"}},
		{fc("out", 4), []string{"pool"}},
		{layer.NewSoftmaxLoss("loss"), []string{"out", "label"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	g.Init(3)
	return g
}

// TestFusedReLUMatchesSeparate checks that the net fuses exactly the ReLU
// that is the only reader of a convolution, and that fusing changes no bit
// of the forward pass and no gradient by more than 1e-6.
func TestFusedReLUMatchesSeparate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := tensor.New(9, 2, 6, 6), tensor.New(9, 1)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	for i := range y.Data {
		y.Data[i] = float32(rng.IntN(4))
	}

	for _, threads := range []int{1, 2} {
		ctx := testContext(threads)
		plain, fused := newNet(convNet(t), false), NewNet(convNet(t))
		g := fused.Graph()
		for i, want := range []bool{true, false, false, false, false, false, false, false} {
			if fused.fused[i] != want || fused.skip[i] != (i == 1) {
				t.Fatalf("node %s: fused %v skip %v", g.Nodes()[i].Layer.Name(),
					fused.fused[i], fused.skip[i])
			}
		}

		for step := range 2 {
			lp, lf := plain.Forward(ctx, x, y), fused.Forward(ctx, x, y)
			if lp != lf {
				t.Fatalf("step %d: loss %v fused, %v separate", step, lf, lp)
			}
			for i, node := range g.Nodes() {
				if i == 0 {
					continue // conv1's output holds relu1's when fused
				}
				a, b := plain.Output(i).Data, fused.Output(i).Data
				for k := range a {
					if math.Float32bits(a[k]) != math.Float32bits(b[k]) {
						t.Fatalf("step %d: %s[%d] = %v fused, %v separate", step,
							node.Layer.Name(), k, b[k], a[k])
					}
				}
			}

			plain.Backward(ctx, 1/9.)
			fused.Backward(ctx, 1/9.)
			pp, pf := plain.Params(), fused.Params()
			for j := range pp {
				for k, want := range pp[j].Grad.Data {
					if got := pf[j].Grad.Data[k]; math.Abs(float64(got-want)) > 1e-6 {
						t.Fatalf("step %d: %s grad[%d] = %v fused, %v separate", step,
							pp[j].Name, k, got, want)
					}
				}
			}
		}
	}
}

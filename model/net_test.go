package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// branchy is a DAG with a fan-out (a feeds b and c) and a fan-in (concat),
// so that the net must sum the gradients of a's two readers.
func branchy(t *testing.T) *Graph {
	t.Helper()
	g, err := NewGraph(tensor.Shape{6}, []Node{
		{fc("a", 5), []string{"data"}},
		{layer.NewTanh("ta"), []string{"a"}},
		{fc("b", 4), []string{"ta"}},
		{fc("c", 3), []string{"ta"}},
		{layer.NewSigmoid("sc"), []string{"c"}},
		{layer.NewConcat("cat"), []string{"b", "sc"}},
		{fc("out", 4), []string{"cat"}},
		{layer.NewSoftmaxLoss("loss"), []string{"out", "label"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	g.Init(3)
	return g
}

func testContext(threads int) *layer.Context {
	return &layer.Context{BLAS: auto.New(threads), SerialBLAS: auto.New(1), Threads: threads,
		Train: true}
}

func batch(n, width, classes int) (x, y *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(5, 6))
	x, y = tensor.New(n, width), tensor.New(n, 1)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	for i := range y.Data {
		y.Data[i] = float32(rng.IntN(classes))
	}
	return x, y
}

// TestNetGradientsMatchFiniteDifferences checks the whole network's
// backward pass, fan-out sums included, against central differences of its
// forward pass.
func TestNetGradientsMatchFiniteDifferences(t *testing.T) {
	g := branchy(t)
	net := NewNet(g)
	ctx := testContext(1)
	x, y := batch(7, 6, 4)

	net.Forward(ctx, x, y)
	net.Backward(ctx, 1)

	const eps = 1e-2
	for _, p := range net.Params() {
		grad := append([]float32(nil), p.Grad.Data...)
		for i := range p.Value.Data {
			keep := p.Value.Data[i]
			p.Value.Data[i] = keep + eps
			up := net.Forward(ctx, x, y)
			p.Value.Data[i] = keep - eps
			down := net.Forward(ctx, x, y)
			p.Value.Data[i] = keep

			numeric := (up - down) / (2 * eps)
			if diff := math.Abs(numeric - float64(grad[i])); diff > 2e-3+2e-2*math.Abs(numeric) {
				t.Fatalf("%s[%d]: backward %v, finite differences %v", p.Name, i, grad[i], numeric)
			}
		}
	}
}

// TestNetIsDeterministicAndReusesBuffers runs the same step twice, at a
// larger and then smaller batch, and checks identical results.
func TestNetIsDeterministicAndReusesBuffers(t *testing.T) {
	g := branchy(t)
	net := NewNet(g)
	ctx := testContext(2)

	x, y := batch(9, 6, 4)
	l1 := net.Forward(ctx, x, y)
	net.Backward(ctx, 1.0/9)
	first := net.Params()[0].Grad.Clone()

	small, sy := batch(3, 6, 4)
	net.Forward(ctx, small, sy)
	net.Backward(ctx, 1.0/3)

	l2 := net.Forward(ctx, x, y)
	net.Backward(ctx, 1.0/9)
	if l1 != l2 {
		t.Fatalf("loss %v then %v for the same batch", l1, l2)
	}
	for i, v := range net.Params()[0].Grad.Data {
		if math.Float32bits(v) != math.Float32bits(first.Data[i]) {
			t.Fatalf("gradient %d differs between identical steps", i)
		}
	}

	// With one thread nothing may allocate once the buffers are sized (two
	// threads start goroutines in par.For, which allocates a little).
	one := testContext(1)
	if a := testing.AllocsPerRun(5, func() {
		net.Forward(one, x, y)
		net.Backward(one, 1.0/9)
	}); a != 0 {
		t.Errorf("a warm one-thread step allocates %v times", a)
	}
}

// TestSplitBatchSumsToWholeBatch checks the property data parallelism rests
// on: the loss sums and gradients of two halves of a mini-batch, each scaled
// by the whole batch, add up to those of the whole batch.
func TestSplitBatchSumsToWholeBatch(t *testing.T) {
	x, y := batch(8, 6, 4)
	whole := NewNet(branchy(t))
	ctx := testContext(1)
	lw := whole.Forward(ctx, x, y)
	whole.Backward(ctx, 1.0/8)

	half := NewNet(branchy(t))
	var lh float64
	sum := make([][]float32, len(half.Params()))
	for _, r := range [][2]int{{0, 4}, {4, 8}} {
		lh += half.Forward(ctx, x.Rows(r[0], r[1]), y.Rows(r[0], r[1]))
		half.Backward(ctx, 1.0/8)
		for i, p := range half.Params() {
			if sum[i] == nil {
				sum[i] = make([]float32, p.Grad.Len())
			}
			tensor.Axpy(1, p.Grad.Data, sum[i])
		}
	}
	if math.Abs(lw-lh) > 1e-5*math.Abs(lw) {
		t.Fatalf("loss %v whole, %v in halves", lw, lh)
	}
	for i, p := range whole.Params() {
		for j, v := range p.Grad.Data {
			if d := math.Abs(float64(v - sum[i][j])); d > 1e-6+1e-5*math.Abs(float64(v)) {
				t.Fatalf("%s[%d]: %v whole, %v from halves", p.Name, j, v, sum[i][j])
			}
		}
	}
}

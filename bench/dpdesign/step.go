package main

import (
	"math/rand/v2"
	"sync"

	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/internal/kernel"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// shape is one fully connected layer.
type shape struct{ outputs, inputs int }

// network is a stack of fully connected layers trained on batches of
// batch samples.
type network struct {
	name   string
	layers []shape
	batch  int
}

// networks are the two of the data-parallel bar: the MNIST MLP and the
// speech-style DNN (440 inputs, 4 hidden layers of 2048, 3000 outputs).
var networks = []network{
	{"mnist-mlp", []shape{{1024, 784}, {1024, 1024}, {10, 1024}}, 128},
	{"speech-dnn", []shape{{2048, 440}, {2048, 2048}, {2048, 2048}, {2048, 2048},
		{3000, 2048}}, 256},
}

// weights is one copy of a network's parameters and the solver's momentum
// history, a slice per layer (outputs×inputs, row-major).
type weights struct{ value, hist [][]float32 }

// replica is what one device holds: its layers (whose weights view a
// weights copy, its own or shared), its gradients and its activations.
// x[i] is layer i's input and dy[i] the gradient of its output, for the
// whole batch when the replicas share activations (each replica then uses
// its own rows); dx[i] takes the gradient of layer i's input. The model
// never feeds a result back (dx does not become the next dy, nor does an
// update change a value: see update), so that every round computes on the
// same numbers and none drift towards denormals.
type replica struct {
	ctx    layer.Context
	fcs    []*layer.FullyConnected
	grad   [][]float32
	x, y   []*tensor.Tensor // the forward pass's input and output
	dy, dx [][]float32
}

// newWeights fills a copy of net's weights with values of the size a
// xavier fill gives.
func newWeights(net network, rng *rand.Rand) *weights {
	w := &weights{}
	for _, l := range net.layers {
		w.value = append(w.value, randomSlice(rng, l.outputs*l.inputs, 1/float32(l.inputs)))
		w.hist = append(w.hist, make([]float32, l.outputs*l.inputs))
	}
	return w
}

// newReplica makes a replica of net for batches of rows samples, on w.
// Gradients are its own unless grad is given; activations hold actRows
// samples.
func newReplica(net network, impl blas.Impl, w *weights, grad [][]float32, actRows int,
	rng *rand.Rand) *replica {
	r := &replica{ctx: layer.Context{BLAS: impl, SerialBLAS: impl, Threads: 1}, grad: grad}
	for i, l := range net.layers {
		fc := layer.NewFullyConnected("fc", layer.FullyConnectedConfig{Outputs: l.outputs,
			NoBias: true})
		if _, err := fc.Setup([]tensor.Shape{{l.inputs}}); err != nil {
			panic(err) // the shapes above are valid
		}
		fc.Params()[0].Value.Data = w.value[i]
		r.fcs = append(r.fcs, fc)
		if grad == nil {
			r.grad = append(r.grad, make([]float32, l.outputs*l.inputs))
		}
		x, _ := tensor.FromData(tensor.Shape{actRows, l.inputs},
			randomSlice(rng, actRows*l.inputs, 1))
		r.x = append(r.x, x)
		r.y = append(r.y, tensor.New(actRows, l.outputs))
		r.dy = append(r.dy, randomSlice(rng, actRows*l.outputs, 1e-2))
		r.dx = append(r.dx, make([]float32, actRows*l.inputs))
	}
	return r
}

func randomSlice(rng *rand.Rand, n int, scale float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = scale * float32(rng.NormFloat64())
	}
	return s
}

// forward runs the layers' forward passes on rows [lo, hi) of the
// activations, with the layers' own code (and so their choice of product).
func (r *replica) forward(lo, hi int) {
	for i, fc := range r.fcs {
		fc.Forward(&r.ctx, []*tensor.Tensor{r.x[i].Rows(lo, hi)}, r.y[i].Rows(lo, hi))
	}
}

// passes runs the forward and backward passes on the first n rows of the
// activations: every layer's whole weight gradient and input gradient.
func (r *replica) passes(net network, n int, w *weights) {
	r.forward(0, n)
	for i := len(net.layers) - 1; i >= 0; i-- {
		r.weightGrad(net, i, 0, n, 0, net.layers[i].outputs)
		r.inputGrad(net, i, 0, n, w)
	}
}

// inputGrad computes layer i's dx = dy·W on rows [lo, hi), as the layer's
// backward pass does. The first layer has none to compute.
func (r *replica) inputGrad(net network, i, lo, hi int, w *weights) {
	if i == 0 {
		return
	}
	l := net.layers[i]
	r.ctx.BLAS.Sgemm(blas.NoTrans, blas.NoTrans, 1,
		blas.Matrix(hi-lo, l.outputs, r.dy[i][lo*l.outputs:hi*l.outputs]),
		blas.Matrix(l.outputs, l.inputs, w.value[i]), 0,
		blas.Matrix(hi-lo, l.inputs, r.dx[i][lo*l.inputs:hi*l.inputs]))
}

// weightGrad computes rows [o0, o1) of layer i's dW = dyᵀ·x over the
// samples [lo, hi) of the activations, into the replica's gradient.
func (r *replica) weightGrad(net network, i, lo, hi, o0, o1 int) {
	l := net.layers[i]
	dy := blas.General{Rows: hi - lo, Cols: o1 - o0, Stride: l.outputs,
		Data: r.dy[i][lo*l.outputs+o0:]}
	r.ctx.BLAS.Sgemm(blas.Trans, blas.NoTrans, 1, dy,
		blas.Matrix(hi-lo, l.inputs, r.x[i].Data[lo*l.inputs:hi*l.inputs]), 0,
		blas.Matrix(o1-o0, l.inputs, r.grad[i][o0*l.inputs:o1*l.inputs]))
}

// update is the solver's momentum SGD step on value from grad, with the
// solver's own loop (kernel.Momentum) at a rate of zero on a history of
// zeros: every load, store and operation of a step, and no value changes.
func update(value, hist, grad []float32) {
	kernel.Momentum(value, grad, hist, 0, 1e-4, 0.9)
}

// barrier lets n goroutines wait for each other, over and over.
type barrier struct {
	mu      sync.Mutex
	cond    *sync.Cond
	n, came int
	round   int
}

func newBarrier(n int) *barrier {
	b := &barrier{n: n}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *barrier) wait() {
	b.mu.Lock()
	defer b.mu.Unlock()
	round := b.round
	b.came++
	if b.came == b.n {
		b.came, b.round = 0, b.round+1
		b.cond.Broadcast()
		return
	}
	for round == b.round {
		b.cond.Wait()
	}
}

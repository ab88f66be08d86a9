package partition

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/tensor"
)

// columnsNet is a small network in the shape of the 2012 ImageNet network:
// a conv read by LRN across channels and max pooling, a conv with two
// groups, a conv with one (a cross point), fully connected layers with
// dropout, and the loss.
const columnsNet = `name: cols
seed: 7
data:
  format: random
  random: {train: 64, shape: [3, 13, 13], classes: 8}
model:
  layers:
    - name: conv1
      type: conv
      filters: 8
      kernel: 3
      stride: 2
      weight_fill: {type: gaussian, std: 0.3}
      bias_fill: {type: constant, value: 0.1}
    - {name: relu1, type: relu}
    - {name: lrn1, type: lrn, size: 5, alpha: 0.5}
    - {name: pool1, type: pool, kernel: 2, stride: 1}
    - name: conv2
      type: conv
      filters: 8
      kernel: 3
      pad: 1
      groups: 2
      weight_fill: {type: gaussian, std: 0.3}
    - {name: relu2, type: relu}
    - {name: lrn2, type: lrn, size: 3, alpha: 0.5}
    - name: conv3
      type: conv
      filters: 12
      kernel: 3
      pad: 1
      weight_fill: {type: gaussian, std: 0.2}
    - {name: relu3, type: relu}
    - {name: pool3, type: pool, kernel: 3, stride: 2}
    - {name: fc1, type: fc, outputs: 16, weight_fill: {type: gaussian, std: 0.2}}
    - {name: relu4, type: relu}
    - {name: drop1, type: dropout, rate: 0.3}
    - {name: fc2, type: fc, outputs: 8, weight_fill: {type: gaussian, std: 0.2}}
    - {name: loss, type: softmax_loss}
solver: {lr: 0.1, momentum: 0.9, weight_decay: 0.001}
train: {batch: 8, iterations: 10}
`

func parse(t testing.TB, src string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// reference trains the whole network of a spec on one device, one thread.
type reference struct {
	g      *model.Graph
	net    *model.Net
	solver *optim.Solver
	ctx    layer.Context
	step   int64
}

func newReference(t testing.TB, s *spec.Spec) *reference {
	t.Helper()
	g, err := model.FromSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	g.Init(s.Seed)
	cfg := s.Solver
	cfg.Threads = 1
	solver, err := optim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := solver.Prepare(g.Params()); err != nil {
		t.Fatal(err)
	}
	return &reference{g: g, net: model.NewNet(g), solver: solver,
		ctx: layer.Context{BLAS: auto.New(1), SerialBLAS: auto.New(1), Threads: 1}}
}

// forwardBackward computes the loss and the gradients of a batch.
func (r *reference) forwardBackward(x, y *tensor.Tensor) float64 {
	r.ctx.Train, r.ctx.Step = true, r.step
	loss := r.net.Forward(&r.ctx, x, y) / float64(x.Batch())
	r.net.Backward(&r.ctx, 1/float32(x.Batch()))
	return loss
}

func (r *reference) update() {
	r.solver.Update(r.step, r.g.Params())
	r.step++
}

// batch returns a random mini-batch of n samples of shape and labels below
// classes.
func batch(seed uint64, n int, shape tensor.Shape, classes int) (x, y *tensor.Tensor) {
	rng := rand.New(rand.NewPCG(seed, 3))
	x = tensor.New(shape.WithBatch(n)...)
	y = tensor.New(n, 1)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	for i := range y.Data {
		y.Data[i] = float32(rng.IntN(classes))
	}
	return x, y
}

// relErr returns max |a-b| over max |b|: the error relative to the size of
// the tensor, so that elements near zero do not inflate it.
func relErr(a, b []float32) float64 {
	var diff, size float64
	for i := range b {
		diff = max(diff, math.Abs(float64(a[i])-float64(b[i])))
		size = max(size, math.Abs(float64(b[i])))
	}
	if size == 0 {
		return diff
	}
	return diff / size
}

// partGrads writes the gradients of group 0's workers into the gradient
// tensors of a whole graph of the same network.
func partGrads(t testing.TB, r *Runner, dst *model.Graph) {
	t.Helper()
	for _, w := range r.groups[0] {
		for _, o := range w.ops {
			for j, p := range o.layer.Params() {
				whole := dst.Nodes()[o.node.origin].Layer.Params()[j]
				per := whole.Grad.Len() / whole.Grad.Shape[0]
				copy(whole.Grad.Data[o.node.rows[0]*per:o.node.rows[1]*per], p.Grad.Data)
			}
		}
	}
}

// partLogits returns the class scores of the last step, every group's
// share in order.
func partLogits(r *Runner) []float32 {
	var out []float32
	for _, ws := range r.groups {
		for _, w := range ws {
			if w.lossOp != nil {
				out = append(out, w.lossOp.in[0].Data...)
			}
		}
	}
	return out
}

// explicitNet is a branching network placed by hand on two partitions: a
// tensor read by three layers on two partitions, a concat across them,
// and layers that move back and forth.
const explicitNet = `name: explicit
seed: 11
data:
  format: random
  random: {train: 64, shape: [3, 9, 9], classes: 5}
parallel: {workers: 2, split: explicit}
model:
  layers:
    - {name: conv1, type: conv, filters: 6, kernel: 3, weight_fill: {type: gaussian, std: 0.3}}
    - {name: relu1, type: relu}
    - {name: left, type: conv, filters: 4, kernel: 1, inputs: [relu1], partition: 1}
    - {name: right, type: conv, filters: 4, kernel: 1, inputs: [relu1], partition: 0}
    - {name: mid, type: conv, filters: 2, kernel: 1, inputs: [relu1], partition: 1}
    - {name: cat, type: concat, inputs: [left, right, mid]}
    - {name: lrn, type: lrn, size: 3, alpha: 0.5}
    - {name: pool, type: pool, kernel: 2}
    - {name: fc1, type: fc, outputs: 10, partition: 0}
    - {name: drop, type: dropout, rate: 0.5}
    - {name: fc2, type: fc, outputs: 5, partition: 1}
    - {name: loss, type: softmax_loss, partition: 0}
solver: {method: nesterov, lr: 0.05, momentum: 0.9, weight_decay: 0.001}
train: {batch: 6, iterations: 10}
`

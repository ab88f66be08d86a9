package main

import (
	"math/rand/v2"

	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/internal/kernel"
)

// members is the number of replicas of every design but "one device".
const members = 2

// group is the replicas of one design, ready to train steps: step(r) runs
// replica r's part of a step, on its own goroutine.
type group struct {
	reps []*replica
	step func(r int)
}

// design is one way of training a step; build makes its group.
type design struct {
	name  string
	build func(net network, impl blas.Impl, rng *rand.Rand) *group
}

// designs are compared against the first, one device on the whole batch.
var designs = []design{
	{"one device", oneDevice},
	{"own copies, no exchange", noExchange},
	{"gradients, a copy each", exchangeGradients},
	{"shared parameters", sharedParameters},
	{"sufficient factors", sufficientFactors},
}

// sum adds the other replicas' gradients of values [lo, hi) of layer i to
// replica m's (the reduce-scatter of a partition m owns) and returns them.
func (g *group) sum(m, i, lo, hi int) []float32 {
	mine := g.reps[m].grad[i][lo:hi]
	for p, r := range g.reps {
		if p != m {
			kernel.Add(mine, r.grad[i][lo:hi])
		}
	}
	return mine
}

// owned returns the values of layer l's weight that member m owns: its
// rows, as a range of the row-major matrix.
func owned(l shape, m int) (int, int) {
	lo, hi := rowsOf(l.outputs, m)
	return lo * l.inputs, hi * l.inputs
}

// rowsOf returns the rows of n that member r owns or computes.
func rowsOf(n, r int) (int, int) { return r * n / members, (r + 1) * n / members }

// oneDevice trains the whole batch on one replica: the baseline.
func oneDevice(net network, impl blas.Impl, rng *rand.Rand) *group {
	w := newWeights(net, rng)
	r := newReplica(net, impl, w, nil, net.batch, rng)
	return &group{reps: []*replica{r}, step: func(int) {
		r.passes(net, net.batch, w)
		for i := range net.layers {
			update(w.value[i], w.hist[i], r.grad[i])
		}
	}}
}

// ownCopies makes a group of replicas with a copy of the parameters each,
// returned beside it, for a share of the batch each.
func ownCopies(net network, impl blas.Impl, rng *rand.Rand) (*group, []*weights) {
	g := &group{}
	var ws []*weights
	for range members {
		w := newWeights(net, rng)
		ws = append(ws, w)
		g.reps = append(g.reps, newReplica(net, impl, w, nil, net.batch/members, rng))
	}
	return g, ws
}

// noExchange runs each replica's passes on its share of the batch and its
// update of the rows it owns, from its own gradients alone: everything a
// data-parallel member computes but nothing it exchanges or waits for.
func noExchange(net network, impl blas.Impl, rng *rand.Rand) *group {
	g, ws := ownCopies(net, impl, rng)
	n := net.batch / members
	g.step = func(m int) {
		r, w := g.reps[m], ws[m]
		r.passes(net, n, w)
		for i, l := range net.layers {
			lo, hi := owned(l, m)
			update(w.value[i][lo:hi], w.hist[i][lo:hi], r.grad[i][lo:hi])
		}
	}
	return g
}

// exchangeGradients is Mariana's exchange between replicas that each hold
// a copy of the parameters: each replica computes the whole weight
// gradient of its share of the batch; the owner of a partition of the rows
// adds the other's partition to its own (reduce-scatter), updates its rows
// and writes them into the other's parameters (all-gather).
func exchangeGradients(net network, impl blas.Impl, rng *rand.Rand) *group {
	g, ws := ownCopies(net, impl, rng)
	n, bar := net.batch/members, newBarrier(members)
	g.step = func(m int) {
		r, w := g.reps[m], ws[m]
		r.passes(net, n, w)
		bar.wait()

		for i, l := range net.layers {
			lo, hi := owned(l, m)
			update(w.value[i][lo:hi], w.hist[i][lo:hi], g.sum(m, i, lo, hi))
			for p := range members {
				if p != m {
					copy(ws[p].value[i][lo:hi], w.value[i][lo:hi])
				}
			}
		}
		bar.wait()
	}
	return g
}

// sharedParameters keeps one copy of the parameters for all replicas, as
// the dataparallel package does for devices of one process: the owner of
// a partition adds the others' gradients to its own and updates it in
// place, and there is nothing to gather.
func sharedParameters(net network, impl blas.Impl, rng *rand.Rand) *group {
	g := &group{}
	w := newWeights(net, rng)
	for range members {
		g.reps = append(g.reps, newReplica(net, impl, w, nil, net.batch/members, rng))
	}
	n, bar := net.batch/members, newBarrier(members)
	g.step = func(m int) {
		r := g.reps[m]
		r.passes(net, n, w)
		bar.wait()

		for i, l := range net.layers {
			lo, hi := owned(l, m)
			update(w.value[i][lo:hi], w.hist[i][lo:hi], g.sum(m, i, lo, hi))
		}
		bar.wait()
	}
	return g
}

// sufficientFactors shares the parameters and the activations: a fully
// connected layer's weight gradient is dyᵀ·x, a product of factors each
// replica has for its own samples, so instead of exchanging gradients the
// owner of a partition of the rows computes their gradient over the whole
// batch, from every replica's factors, once they are ready; no gradient is
// added and none is gathered. (Xie et al. exchange such factors between
// machines; here they are read in place.)
func sufficientFactors(net network, impl blas.Impl, rng *rand.Rand) *group {
	g := &group{}
	w := newWeights(net, rng)
	var grad [][]float32
	for _, l := range net.layers {
		grad = append(grad, make([]float32, l.outputs*l.inputs))
	}
	for m := range members {
		// Each replica has its own layers (a layer keeps scratch space
		// of its own) on the shared weights, gradients and activations.
		r := newReplica(net, impl, w, grad, net.batch, rng)
		if m > 0 {
			first := g.reps[0]
			r.x, r.y, r.dy, r.dx = first.x, first.y, first.dy, first.dx
		}
		g.reps = append(g.reps, r)
	}
	bar := newBarrier(members)
	g.step = func(m int) {
		r := g.reps[m]
		lo, hi := rowsOf(net.batch, m)
		r.forward(lo, hi)
		for i := len(net.layers) - 1; i >= 0; i-- {
			r.inputGrad(net, i, lo, hi, w)
			bar.wait() // every replica's factors of layer i are ready
			o0, o1 := rowsOf(net.layers[i].outputs, m)
			r.weightGrad(net, i, 0, net.batch, o0, o1)
		}
		bar.wait()

		for i, l := range net.layers {
			o0, o1 := owned(l, m)
			update(w.value[i][o0:o1], w.hist[i][o0:o1], grad[i][o0:o1])
		}
		bar.wait()
	}
	return g
}

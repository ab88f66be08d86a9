package optim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// param returns a parameter named name holding values, with a zero
// gradient of the same shape and the given multipliers.
func param(name string, lrMult, decayMult float32, values ...float32) *layer.Param {
	p := layer.NewParam(name, decayMult, len(values))
	copy(p.Value.Data, values)
	p.LRMult = lrMult
	return p
}

// mustNew is New for configurations a test knows to be valid.
func mustNew(t testing.TB, cfg Config) *Solver {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return s
}

// network returns a small set of parameters like a two-layer net's, with
// different shapes and multipliers, filled from seed.
func network(seed uint64) []*layer.Param {
	rng := rand.New(rand.NewPCG(seed, 1))
	ps := []*layer.Param{
		layer.NewParam("fc1.weight", 1, 3, 4),
		layer.NewParam("fc1.bias", 0, 4),
		layer.NewParam("fc2.weight", 1, 4, 2),
		layer.NewParam("fc2.bias", 0, 2),
	}
	ps[2].LRMult = 2
	ps[3].LRMult = 2
	for _, p := range ps {
		for i := range p.Value.Data {
			p.Value.Data[i] = float32(rng.NormFloat64())
		}
	}
	return ps
}

// fillGrads sets every gradient to that of a bowl centred on 0.5 plus
// noise that depends on the step and the parameter's position, so that
// gradients depend on the current weights as in real training.
func fillGrads(step int64, params []*layer.Param) {
	for k, p := range params {
		rng := rand.New(rand.NewPCG(uint64(step), uint64(k)))
		for i, w := range p.Value.Data {
			p.Grad.Data[i] = (w - 0.5) + float32(0.1*rng.NormFloat64())
		}
	}
}

// cloneParams deep-copies params, as restoring them from a checkpoint does.
func cloneParams(params []*layer.Param) []*layer.Param {
	out := make([]*layer.Param, len(params))
	for i, p := range params {
		c := *p
		c.Value, c.Grad = p.Value.Clone(), p.Grad.Clone()
		out[i] = &c
	}
	return out
}

// sameBits fails unless a and b hold bit-identical values.
func sameBits(t *testing.T, what string, a, b []float32) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d values, want %d", what, len(a), len(b))
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s[%d] = %v, want %v (bit-identical)", what, i, a[i], b[i])
		}
	}
}

// sameState fails unless two solvers hold bit-identical history.
func sameState(t *testing.T, got, want *Solver) {
	t.Helper()
	gotNames, gotT := got.State()
	wantNames, wantT := want.State()
	if len(gotNames) != len(wantNames) {
		t.Fatalf("state names %v, want %v", gotNames, wantNames)
	}
	for i, name := range wantNames {
		if gotNames[i] != name {
			t.Fatalf("state names %v, want %v", gotNames, wantNames)
		}
		if !gotT[name].Shape.Equal(wantT[name].Shape) {
			t.Fatalf("%s: shape %v, want %v", name, gotT[name].Shape, wantT[name].Shape)
		}
		sameBits(t, name, gotT[name].Data, wantT[name].Data)
	}
}

// cloneState deep-copies a state map, as writing and reading a checkpoint
// does.
func cloneState(m map[string]*tensor.Tensor) map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor, len(m))
	for k, v := range m {
		out[k] = v.Clone()
	}
	return out
}

// methods are solver configurations covering every update rule, with
// weight decay and a schedule, for tests that must hold for all of them.
var methods = []struct {
	name string
	cfg  Config
}{
	{"sgd", Config{Method: SGD, BaseLR: 0.1, Momentum: 0.9, WeightDecay: 0.01,
		Policy: PolicyStep, Gamma: 0.5, StepSize: 4}},
	{"sgd-no-momentum", Config{Method: SGD, BaseLR: 0.1, WeightDecay: 0.01,
		Policy: PolicyInv, Gamma: 0.1, Power: 0.75}},
	{"nesterov", Config{Method: Nesterov, BaseLR: 0.05, Momentum: 0.9,
		WeightDecay: 0.001, Policy: PolicyMultiStep, Gamma: 0.1, Steps: []int64{3, 7}}},
	{"adagrad", Config{Method: AdaGrad, BaseLR: 0.3, Epsilon: 1e-6,
		WeightDecay: 0.01, Policy: PolicyExp, Gamma: 0.95}},
}

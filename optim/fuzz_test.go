package optim

import (
	"errors"
	"math"
	"testing"
)

// FuzzNew checks that any configuration either fails with field errors or
// gives a solver whose learning rate stays in [0, lr] at every step, and
// that nothing panics.
func FuzzNew(f *testing.F) {
	f.Add(uint8(0), float32(0.01), float32(0.9), float32(5e-4), float32(0),
		uint8(1), float32(0.1), float32(0), int64(5000), int64(12345))
	f.Add(uint8(2), float32(0.1), float32(0), float32(0), float32(1e-6),
		uint8(4), float32(1e-4), float32(0.75), int64(0), int64(1<<40))
	f.Add(uint8(1), float32(1), float32(0.5), float32(0), float32(0),
		uint8(3), float32(0.999999), float32(0), int64(0), int64(-3))
	f.Add(uint8(0), float32(3e38), float32(0.999), float32(1), float32(0),
		uint8(2), float32(1), float32(0), int64(0), int64(math.MaxInt64))
	f.Add(uint8(7), float32(-1), float32(2), float32(-1), float32(-1),
		uint8(9), float32(2), float32(-1), int64(-1), int64(0))
	methods := []Method{SGD, Nesterov, AdaGrad, "", "adam"}
	policies := []Policy{PolicyFixed, PolicyStep, PolicyMultiStep, PolicyExp, PolicyInv, "", "poly"}

	f.Fuzz(func(t *testing.T, method uint8, lr, mom, wd, eps float32,
		policy uint8, gamma, power float32, stepSize, step int64) {
		cfg := Config{
			Method: methods[int(method)%len(methods)], BaseLR: lr, Momentum: mom,
			WeightDecay: wd, Epsilon: eps,
			Policy: policies[int(policy)%len(policies)], Gamma: gamma, Power: power,
			StepSize: stepSize,
		}
		if cfg.Policy == PolicyMultiStep {
			cfg.Steps = []int64{stepSize, stepSize * 2}
		}
		if Describe(cfg) == "" {
			t.Fatal("empty description")
		}
		s, err := New(cfg)
		if err != nil {
			if !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("New: %v does not wrap ErrInvalidConfig", err)
			}
			return
		}
		for _, at := range []int64{0, 1, step, step / 2, math.MaxInt64} {
			got := s.LR(at)
			if math.IsNaN(float64(got)) || got < 0 || got > lr {
				t.Fatalf("%s: LR(%d) = %v, outside [0, %v]", Describe(cfg), at, got, lr)
			}
		}
	})
}

// FuzzParseStateName checks that a name either fails with ErrBadState or
// is one StateName makes.
func FuzzParseStateName(f *testing.F) {
	for _, s := range []string{"solver.momentum/fc1.weight", "solver.adagrad_h/a/b",
		"solver.momentum/", "/x", "", "solver.adam/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		kind, param, err := ParseStateName(name)
		if err != nil {
			if !errors.Is(err, ErrBadState) {
				t.Fatalf("%q: %v does not wrap ErrBadState", name, err)
			}
			return
		}
		if StateName(kind, param) != name || param == "" {
			t.Fatalf("%q parsed as %q %q", name, kind, param)
		}
	})
}

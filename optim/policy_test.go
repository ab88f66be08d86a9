package optim

import (
	"math"
	"testing"
)

func TestPolicies(t *testing.T) {
	// Base rate 1 and gamma 0.5 keep every value exact, so the table is
	// worked out by hand and compared exactly.
	type at struct {
		step int64
		lr   float32
	}
	cases := []struct {
		name string
		cfg  Config
		want []at
	}{
		{"fixed", Config{BaseLR: 0.01},
			[]at{{0, 0.01}, {1, 0.01}, {1 << 40, 0.01}}},
		{"empty policy means fixed", Config{BaseLR: 2, Policy: ""},
			[]at{{0, 2}, {99, 2}}},
		{"step", Config{BaseLR: 1, Policy: PolicyStep, Gamma: 0.5, StepSize: 3},
			// floor(step/3) = 0 0 0 1 1 2 3
			[]at{{0, 1}, {1, 1}, {2, 1}, {3, 0.5}, {5, 0.5}, {6, 0.25}, {9, 0.125}}},
		{"multistep", Config{BaseLR: 1, Policy: PolicyMultiStep, Gamma: 0.5,
			Steps: []int64{2, 5, 9}},
			// drops at 2, 5 and 9, each step included in its own count
			[]at{{0, 1}, {1, 1}, {2, 0.5}, {4, 0.5}, {5, 0.25}, {8, 0.25}, {9, 0.125},
				{1000, 0.125}}},
		{"exp", Config{BaseLR: 1, Policy: PolicyExp, Gamma: 0.5},
			[]at{{0, 1}, {1, 0.5}, {3, 0.125}, {10, 1.0 / 1024}, {200, 0}}},
		{"inv", Config{BaseLR: 1, Policy: PolicyInv, Gamma: 1, Power: 1},
			// 1/(1+step)
			[]at{{0, 1}, {1, 0.5}, {3, 0.25}, {7, 0.125}}},
		{"inv square root", Config{BaseLR: 1, Policy: PolicyInv, Gamma: 3, Power: 0.5},
			// (1+3·step)^-½
			[]at{{0, 1}, {1, 0.5}, {5, 0.25}, {21, 0.125}}},
		{"negative step counts as 0", Config{BaseLR: 1, Policy: PolicyExp, Gamma: 0.5},
			[]at{{-5, 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustNew(t, c.cfg)
			for _, w := range c.want {
				if got := s.LR(w.step); got != w.lr {
					t.Errorf("LR(%d) = %v, want %v", w.step, got, w.lr)
				}
			}
		})
	}
}

func TestPolicyCaffeValues(t *testing.T) {
	// Rates from Caffe's example solvers, with values computed by hand in
	// float64 and rounded once.
	cases := []struct {
		name string
		cfg  Config
		step int64
		want float64
	}{
		// lenet_solver: inv, base 0.01, gamma 1e-4, power 0.75:
		// 0.01·2^-0.75 at step 10000.
		{"lenet inv", Config{BaseLR: 0.01, Policy: PolicyInv, Gamma: 1e-4, Power: 0.75},
			10000, 0.01 * 0.5946035575013605},
		// bvlc_reference_caffenet: step, base 0.01, gamma 0.1, size 100000.
		{"caffenet step", Config{BaseLR: 0.01, Policy: PolicyStep, Gamma: 0.1,
			StepSize: 100000}, 250000, 0.0001},
		{"exp", Config{BaseLR: 0.1, Policy: PolicyExp, Gamma: 0.99}, 100,
			0.1 * 0.36603234127322950},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := float64(mustNew(t, c.cfg).LR(c.step))
			if math.Abs(got-c.want) > 1e-7*c.want {
				t.Errorf("LR(%d) = %.9g, want %.9g", c.step, got, c.want)
			}
		})
	}
}

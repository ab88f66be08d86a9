package optim

import (
	"math"
	"slices"
	"strconv"
)

// schedule is a learning-rate policy with its constants in float64.
type schedule struct {
	policy             Policy
	base, gamma, power float64
	stepSize           int64
	steps              []int64
}

// newSchedule converts c's constants to float64 through their shortest
// decimal form, so that gamma 0.99 is the 0.99 the spec says rather than
// float32's 0.99000001: raised to the power of a step count in the
// thousands, that difference would reach the learning rate's fifth digit.
func newSchedule(c *Config) schedule {
	return schedule{
		policy:   c.Policy,
		base:     decimal(c.BaseLR),
		gamma:    decimal(c.Gamma),
		power:    decimal(c.Power),
		stepSize: c.StepSize,
		steps:    c.Steps,
	}
}

// decimal returns the float64 nearest to the shortest decimal that reads
// back as x.
func decimal(x float32) float64 {
	v, err := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
	if err != nil {
		// FormatFloat always writes a number ParseFloat reads.
		panic("optim: " + err.Error())
	}
	return v
}

// LR returns the learning rate for step, counted from 0, under the
// solver's policy (see [Policy] for the formulas). It is a pure function of
// step, so a resumed run gets the same schedule without saving any of it. A
// negative step counts as 0. The result lies in [0, lr].
func (s *Solver) LR(step int64) float32 {
	return s.sched.at(step)
}

// at evaluates the schedule in float64 and rounds once, so that every
// step's rate is the correctly rounded value of one formula rather than an
// accumulation of per-step products.
func (c *schedule) at(step int64) float32 {
	step = max(step, 0)

	var lr float64
	switch c.policy {
	case PolicyStep:
		lr = c.base * math.Pow(c.gamma, float64(step/c.stepSize))
	case PolicyMultiStep:
		// Steps ascend strictly, so the insertion point counts the steps
		// below step, and a hit adds the one equal to it.
		n, hit := slices.BinarySearch(c.steps, step)
		if hit {
			n++
		}
		lr = c.base * math.Pow(c.gamma, float64(n))
	case PolicyExp:
		lr = c.base * math.Pow(c.gamma, float64(step))
	case PolicyInv:
		lr = c.base * math.Pow(1+c.gamma*float64(step), -c.power)
	default:
		lr = c.base
	}
	return float32(lr)
}

package optim

import (
	"errors"
	"fmt"
	"math"
)

// DefaultEpsilon is AdaGrad's epsilon when [Config.Epsilon] is 0.
const DefaultEpsilon float32 = 1e-8

// withDefaults returns c with the documented defaults filled in: method sgd,
// policy fixed, and for AdaGrad epsilon [DefaultEpsilon]. Steps is copied so
// that the caller may reuse its slice.
func (c Config) withDefaults() Config {
	if c.Method == "" {
		c.Method = SGD
	}
	if c.Policy == "" {
		c.Policy = PolicyFixed
	}
	if c.Method == AdaGrad && c.Epsilon == 0 {
		c.Epsilon = DefaultEpsilon
	}
	c.Steps = append([]int64(nil), c.Steps...)
	return c
}

// Validate reports every problem with c at once: the result joins one
// [*FieldError] per problem (errors.Is(err, [ErrInvalidConfig]) holds), or is
// nil. An empty Method means sgd and an empty Policy means fixed.
//
// Beyond the ranges each field needs, a field the chosen method or policy
// would ignore must be left zero (momentum with adagrad, epsilon without
// it, gamma with the fixed policy, ...): a setting that silently does
// nothing is more likely a mistake in the spec than an intent.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	c = c.withDefaults()

	switch c.Method {
	case SGD, Nesterov, AdaGrad:
	default:
		bad("method", "unknown method %q; want sgd, nesterov or adagrad", string(c.Method))
	}

	if !finite(c.BaseLR) || c.BaseLR <= 0 {
		bad("lr", "must be a finite number > 0, got %g", c.BaseLR)
	}
	switch {
	case !finite(c.Momentum) || c.Momentum < 0 || c.Momentum >= 1:
		bad("momentum", "must be in [0, 1), got %g", c.Momentum)
	case c.Method == AdaGrad && c.Momentum != 0:
		bad("momentum", "adagrad takes no momentum, got %g", c.Momentum)
	}
	if !finite(c.WeightDecay) || c.WeightDecay < 0 {
		bad("weight_decay", "must be a finite number >= 0, got %g", c.WeightDecay)
	}
	switch {
	case !finite(c.Epsilon) || c.Epsilon < 0:
		bad("epsilon", "must be a finite number >= 0 (0 means %g), got %g",
			DefaultEpsilon, c.Epsilon)
	case c.Method != AdaGrad && c.Epsilon != 0:
		bad("epsilon", "only adagrad uses epsilon, got %g with method %s",
			c.Epsilon, c.Method)
	}
	if c.Threads < 0 {
		bad("threads", "must be >= 0, got %d", c.Threads)
	}

	errs = append(errs, c.validatePolicy()...)
	return errors.Join(errs...)
}

// validatePolicy checks the learning-rate schedule: the parameters its
// formula needs, in ranges that keep lr(step) finite and at most BaseLR, and
// no parameter that it would ignore.
func (c Config) validatePolicy() []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	var needGamma, needPower, needStepSize, needSteps bool
	switch c.Policy {
	case PolicyFixed:
	case PolicyStep:
		needGamma, needStepSize = true, true
	case PolicyMultiStep:
		needGamma, needSteps = true, true
	case PolicyExp:
		needGamma = true
	case PolicyInv:
		needGamma, needPower = true, true
	default:
		bad("lr_policy.type", "unknown policy %q; want fixed, step, multistep, exp or inv",
			string(c.Policy))
		return errs
	}
	unused := func(field string) {
		bad(field, "not used by lr_policy %s; leave it out", c.Policy)
	}

	switch {
	case !needGamma:
		if c.Gamma != 0 {
			unused("lr_policy.gamma")
		}
	case c.Policy == PolicyInv:
		if !finite(c.Gamma) || c.Gamma <= 0 {
			bad("lr_policy.gamma", "must be a finite number > 0, got %g", c.Gamma)
		}
	default:
		if !finite(c.Gamma) || c.Gamma <= 0 || c.Gamma > 1 {
			bad("lr_policy.gamma", "must be in (0, 1], got %g "+
				"(above 1 the learning rate would grow without bound)", c.Gamma)
		}
	}

	switch {
	case !needPower:
		if c.Power != 0 {
			unused("lr_policy.power")
		}
	case !finite(c.Power) || c.Power <= 0:
		bad("lr_policy.power", "must be a finite number > 0, got %g", c.Power)
	}

	switch {
	case !needStepSize:
		if c.StepSize != 0 {
			unused("lr_policy.step_size")
		}
	case c.StepSize <= 0:
		bad("lr_policy.step_size", "must be > 0, got %d", c.StepSize)
	}

	switch {
	case !needSteps:
		if len(c.Steps) != 0 {
			unused("lr_policy.steps")
		}
	case len(c.Steps) == 0:
		bad("lr_policy.steps", "must list at least one step")
	default:
		for i, s := range c.Steps {
			switch {
			case s <= 0:
				bad(fmt.Sprintf("lr_policy.steps[%d]", i),
					"must be > 0, got %d (a drop at step 0 is a smaller lr)", s)
			case i > 0 && s <= c.Steps[i-1]:
				bad(fmt.Sprintf("lr_policy.steps[%d]", i),
					"%d does not come after %d; steps must ascend", s, c.Steps[i-1])
			}
		}
	}
	return errs
}

// finite reports whether x is neither NaN nor infinite.
func finite(x float32) bool {
	return !math.IsNaN(float64(x)) && !math.IsInf(float64(x), 0)
}

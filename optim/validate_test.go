package optim

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestConfigErrorsNameTheField(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	ok := Config{Method: SGD, BaseLR: 0.1}
	cases := []struct {
		name  string
		edit  func(*Config)
		field string
		msg   string
	}{
		{"unknown method", func(c *Config) { c.Method = "adam" },
			"method", `unknown method "adam"`},
		{"zero lr", func(c *Config) { c.BaseLR = 0 }, "lr", "got 0"},
		{"negative lr", func(c *Config) { c.BaseLR = -1 }, "lr", "got -1"},
		{"NaN lr", func(c *Config) { c.BaseLR = nan }, "lr", "got NaN"},
		{"infinite lr", func(c *Config) { c.BaseLR = inf }, "lr", "got +Inf"},
		{"momentum 1", func(c *Config) { c.Momentum = 1 }, "momentum", "[0, 1), got 1"},
		{"negative momentum", func(c *Config) { c.Momentum = -0.1 }, "momentum", "got -0.1"},
		{"adagrad momentum", func(c *Config) { c.Method, c.Momentum = AdaGrad, 0.9 },
			"momentum", "adagrad takes no momentum"},
		{"negative decay", func(c *Config) { c.WeightDecay = -1e-4 },
			"weight_decay", "got -0.0001"},
		{"NaN decay", func(c *Config) { c.WeightDecay = nan }, "weight_decay", "got NaN"},
		{"negative epsilon", func(c *Config) { c.Method, c.Epsilon = AdaGrad, -1 },
			"epsilon", "got -1"},
		{"epsilon without adagrad", func(c *Config) { c.Epsilon = 1e-8 },
			"epsilon", "only adagrad uses epsilon"},
		{"negative threads", func(c *Config) { c.Threads = -2 }, "threads", "got -2"},
		{"unknown policy", func(c *Config) { c.Policy = "cosine" },
			"lr_policy.type", `unknown policy "cosine"`},
		{"step without gamma", func(c *Config) { c.Policy, c.StepSize = PolicyStep, 10 },
			"lr_policy.gamma", "(0, 1], got 0"},
		{"growing gamma", func(c *Config) { c.Policy, c.Gamma = PolicyExp, 1.5 },
			"lr_policy.gamma", "grow without bound"},
		{"inv NaN gamma", func(c *Config) { c.Policy, c.Gamma, c.Power = PolicyInv, nan, 1 },
			"lr_policy.gamma", "got NaN"},
		{"gamma unused", func(c *Config) { c.Gamma = 0.1 },
			"lr_policy.gamma", "not used by lr_policy fixed"},
		{"step without step_size", func(c *Config) { c.Policy, c.Gamma = PolicyStep, 0.1 },
			"lr_policy.step_size", "must be > 0, got 0"},
		{"step_size unused", func(c *Config) { c.StepSize = 100 },
			"lr_policy.step_size", "not used by lr_policy fixed"},
		{"inv without power", func(c *Config) { c.Policy, c.Gamma = PolicyInv, 0.1 },
			"lr_policy.power", "got 0"},
		{"power unused", func(c *Config) { c.Policy, c.Gamma, c.Power = PolicyExp, 0.9, 1 },
			"lr_policy.power", "not used by lr_policy exp"},
		{"multistep without steps", func(c *Config) { c.Policy, c.Gamma = PolicyMultiStep, 0.1 },
			"lr_policy.steps", "at least one step"},
		{"steps not ascending", func(c *Config) {
			c.Policy, c.Gamma, c.Steps = PolicyMultiStep, 0.1, []int64{10, 30, 20}
		}, "lr_policy.steps[2]", "20 does not come after 30"},
		{"repeated step", func(c *Config) {
			c.Policy, c.Gamma, c.Steps = PolicyMultiStep, 0.1, []int64{10, 10}
		}, "lr_policy.steps[1]", "10 does not come after 10"},
		{"step at 0", func(c *Config) {
			c.Policy, c.Gamma, c.Steps = PolicyMultiStep, 0.1, []int64{0, 10}
		}, "lr_policy.steps[0]", "must be > 0"},
		{"steps unused", func(c *Config) {
			c.Policy, c.Gamma, c.StepSize, c.Steps = PolicyStep, 0.1, 5, []int64{10}
		}, "lr_policy.steps", "not used by lr_policy step"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := ok
			c.edit(&cfg)
			s, err := New(cfg)
			if s != nil || err == nil {
				t.Fatalf("New(%+v) succeeded", cfg)
			}
			var fe *FieldError
			if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("error %v is not a *FieldError wrapping ErrInvalidConfig", err)
			}
			if fe.Field != c.field || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("error %q, want field %q with %q", err, c.field, c.msg)
			}
			want := "optim: invalid config: " + c.field + ": "
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
		})
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	err := Config{Method: AdaGrad, BaseLR: -1, Momentum: 0.9, WeightDecay: -1,
		Policy: PolicyStep}.Validate()
	var fields []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *FieldError
		if !errors.As(e, &fe) {
			t.Fatalf("%v is not a *FieldError", e)
		}
		fields = append(fields, fe.Field)
	}
	want := []string{"lr", "momentum", "weight_decay", "lr_policy.gamma", "lr_policy.step_size"}
	if !slices.Equal(fields, want) {
		t.Errorf("fields %v, want %v", fields, want)
	}
}

func TestValidConfigs(t *testing.T) {
	for _, m := range methods {
		if err := m.cfg.Validate(); err != nil {
			t.Errorf("%s: %v", m.name, err)
		}
	}
	// The zero method and policy are sgd and fixed.
	s := mustNew(t, Config{BaseLR: 0.1})
	if c := s.Config(); c.Method != SGD || c.Policy != PolicyFixed || c.Epsilon != 0 {
		t.Errorf("defaults %+v, want sgd, fixed, no epsilon", c)
	}
}

func TestNewCopiesSteps(t *testing.T) {
	steps := []int64{2, 4}
	s := mustNew(t, Config{BaseLR: 1, Policy: PolicyMultiStep, Gamma: 0.5, Steps: steps})
	steps[0] = 100
	if got := s.LR(3); got != 0.5 {
		t.Errorf("LR(3) = %v after the caller changed its slice, want 0.5", got)
	}
	s.Config().Steps[1] = 100
	if got := s.LR(5); got != 0.25 {
		t.Errorf("LR(5) = %v after changing Config().Steps, want 0.25", got)
	}
}

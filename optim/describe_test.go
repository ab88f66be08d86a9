package optim

import "testing"

func TestDescribe(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Method: SGD, BaseLR: 0.01, Momentum: 0.9, WeightDecay: 0.0005,
			Policy: PolicyStep, Gamma: 0.1, StepSize: 5000},
			"sgd lr=0.01 momentum=0.9 wd=0.0005 policy=step(gamma=0.1, step_size=5000)"},
		{Config{BaseLR: 0.1},
			"sgd lr=0.1 momentum=0 wd=0 policy=fixed"},
		{Config{Method: Nesterov, BaseLR: 0.05, Momentum: 0.95, Policy: PolicyMultiStep,
			Gamma: 0.1, Steps: []int64{1000, 2000, 3000}},
			"nesterov lr=0.05 momentum=0.95 wd=0 policy=multistep(gamma=0.1, " +
				"steps=[1000, 2000, 3000])"},
		{Config{Method: AdaGrad, BaseLR: 0.01, WeightDecay: 1e-4, Policy: PolicyExp,
			Gamma: 0.999}, "adagrad lr=0.01 epsilon=1e-08 wd=0.0001 policy=exp(gamma=0.999)"},
		{Config{BaseLR: 0.01, Momentum: 0.9, Policy: PolicyInv, Gamma: 1e-4, Power: 0.75},
			"sgd lr=0.01 momentum=0.9 wd=0 policy=inv(gamma=0.0001, power=0.75)"},
	}
	for _, c := range cases {
		if got := Describe(c.cfg); got != c.want {
			t.Errorf("Describe:\n got %s\nwant %s", got, c.want)
		}
	}
}

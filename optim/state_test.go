package optim

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

func TestResumeIsBitIdentical(t *testing.T) {
	const total, stop = 12, 5 // stop spans a step and a multistep drop
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			straight := network(5)
			whole := mustNew(t, m.cfg)
			for step := int64(0); step < total; step++ {
				fillGrads(step, straight)
				whole.Update(step, straight)
			}

			first := network(5)
			before := mustNew(t, m.cfg)
			for step := int64(0); step < stop; step++ {
				fillGrads(step, first)
				before.Update(step, first)
			}

			// The checkpoint: parameter values and solver state, copied
			// away from the first solver, which then is dropped.
			resumed := cloneParams(first)
			_, state := before.State()
			after := mustNew(t, m.cfg)
			if err := after.LoadState(cloneState(state)); err != nil {
				t.Fatal(err)
			}
			if err := after.Prepare(resumed); err != nil {
				t.Fatal(err)
			}
			for step := int64(stop); step < total; step++ {
				fillGrads(step, resumed)
				after.Update(step, resumed)
			}

			for i := range straight {
				sameBits(t, straight[i].Name, resumed[i].Value.Data, straight[i].Value.Data)
			}
			sameState(t, after, whole)
		})
	}
}

func TestStateNames(t *testing.T) {
	cases := []struct {
		cfg  Config
		want []string
	}{
		{Config{BaseLR: 0.1, Momentum: 0.9}, []string{
			"solver.momentum/fc1.bias", "solver.momentum/fc1.weight",
			"solver.momentum/fc2.bias", "solver.momentum/fc2.weight"}},
		{Config{Method: Nesterov, BaseLR: 0.1}, []string{
			"solver.momentum/fc1.bias", "solver.momentum/fc1.weight",
			"solver.momentum/fc2.bias", "solver.momentum/fc2.weight"}},
		{Config{Method: AdaGrad, BaseLR: 0.1}, []string{
			"solver.adagrad_h/fc1.bias", "solver.adagrad_h/fc1.weight",
			"solver.adagrad_h/fc2.bias", "solver.adagrad_h/fc2.weight"}},
		{Config{BaseLR: 0.1}, nil},
	}
	for _, c := range cases {
		s := mustNew(t, c.cfg)
		params := network(6)
		s.Update(0, params)
		names, tensors := s.State()
		if !slices.Equal(names, c.want) || len(tensors) != len(c.want) {
			t.Errorf("%s: names %v (%d tensors), want %v",
				Describe(c.cfg), names, len(tensors), c.want)
		}
		for i, name := range names {
			p := params[slices.IndexFunc(params, func(p *layer.Param) bool {
				return strings.HasSuffix(name, "/"+p.Name)
			})]
			if !tensors[name].Shape.Equal(p.Value.Shape) {
				t.Errorf("%s: shape %v, want %v", names[i], tensors[name].Shape, p.Value.Shape)
			}
		}
	}
}

func TestParseStateName(t *testing.T) {
	kind, param, err := ParseStateName("solver.adagrad_h/conv1/a.weight")
	if err != nil || kind != AdaGradState || param != "conv1/a.weight" {
		t.Errorf("got %q %q %v", kind, param, err)
	}
	for _, bad := range []string{"", "fc1.weight", "solver.momentum/", "solver.adam_m/fc1.weight",
		"/fc1.weight"} {
		if _, _, err := ParseStateName(bad); !errors.Is(err, ErrBadState) {
			t.Errorf("ParseStateName(%q): %v, want ErrBadState", bad, err)
		}
	}
}

func TestLoadStateErrors(t *testing.T) {
	vec := func(vals ...float32) *tensor.Tensor {
		t := tensor.New(len(vals))
		copy(t.Data, vals)
		return t
	}
	momentum := Config{BaseLR: 0.1, Momentum: 0.9}
	adagrad := Config{Method: AdaGrad, BaseLR: 0.1}
	cases := []struct {
		name  string
		cfg   Config
		seen  []*layer.Param // updated once before loading
		state map[string]*tensor.Tensor
		want  string
	}{
		{"bad name", momentum, nil,
			map[string]*tensor.Tensor{"momentum.fc1.weight": vec(1)},
			`name "momentum.fc1.weight" is not kind/param`},
		{"unknown kind", momentum, nil,
			map[string]*tensor.Tensor{"solver.velocity/w": vec(1)},
			`unknown kind "solver.velocity"`},
		{"other method's history", momentum, nil,
			map[string]*tensor.Tensor{"solver.adagrad_h/w": vec(1)},
			"solver.adagrad_h/w: method sgd keeps solver.momentum, not solver.adagrad_h"},
		{"history for a stateless solver", Config{BaseLR: 0.1}, nil,
			map[string]*tensor.Tensor{"solver.momentum/w": vec(1)},
			"solver.momentum/w: sgd with momentum 0 keeps no history"},
		{"nil tensor", momentum, nil,
			map[string]*tensor.Tensor{"solver.momentum/w": nil}, "solver.momentum/w: no tensor"},
		{"short data", momentum, nil,
			map[string]*tensor.Tensor{"solver.momentum/w": {Shape: tensor.Shape{2, 2},
				Data: make([]float32, 3)}},
			"solver.momentum/w: shape 2x2 needs 4 elements, has 3"},
		{"NaN momentum", momentum, nil,
			map[string]*tensor.Tensor{"solver.momentum/w": vec(0, float32(math.NaN()))},
			"solver.momentum/w: element 1 is NaN"},
		{"negative sum of squares", adagrad, nil,
			map[string]*tensor.Tensor{"solver.adagrad_h/w": vec(1, 2, -3)},
			"solver.adagrad_h/w: element 2 is -3; a sum of squares cannot be negative"},
		{"infinite sum of squares", adagrad, nil,
			map[string]*tensor.Tensor{"solver.adagrad_h/w": vec(float32(math.Inf(1)))},
			"element 0 is +Inf"},
		{"shape of a known param", momentum, []*layer.Param{layer.NewParam("w", 1, 3)},
			map[string]*tensor.Tensor{"solver.momentum/w": vec(1, 2)},
			"solver.momentum/w: shape 2, but param w has 3"},
		{"known param missing", momentum,
			[]*layer.Param{layer.NewParam("w", 1, 1), layer.NewParam("b", 0, 1)},
			map[string]*tensor.Tensor{"solver.momentum/w": vec(1)},
			"no solver.momentum/b for param b, whose history this solver holds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustNew(t, c.cfg)
			s.Update(0, c.seen)
			_, before := s.State()
			before = cloneState(before)

			err := s.LoadState(c.state)
			if !errors.Is(err, ErrBadState) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("LoadState: %v, want ErrBadState with %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "optim: bad solver state: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}

			// A failed load changes nothing.
			_, after := s.State()
			if len(after) != len(before) {
				t.Fatalf("state has %d tensors after a failed load, had %d",
					len(after), len(before))
			}
			for name, t0 := range before {
				sameBits(t, name, after[name].Data, t0.Data)
			}
		})
	}
}

func TestLoadStateCopies(t *testing.T) {
	s := mustNew(t, Config{Method: Nesterov, BaseLR: 0.5, Momentum: 0.5})
	v := tensor.New(1)
	v.Data[0] = -0.25
	if err := s.LoadState(map[string]*tensor.Tensor{"solver.momentum/w": v}); err != nil {
		t.Fatal(err)
	}
	v.Data[0] = 100 // the caller's tensor is not the solver's

	// v' = 0.5·(−0.25) − 0.5·0.5 = −0.375; the step is 1.5·v' + 0.5·0.25 =
	// −0.4375, so w = 0.5625.
	w := param("w", 1, 1, 1)
	stepWith(s, 0, []*layer.Param{w}, 0.5)
	if w.Value.Data[0] != 0.5625 {
		t.Errorf("w = %v, want 0.5625 from the loaded momentum", w.Value.Data[0])
	}
}

func TestPrepareAfterLoadStateWantsEveryParam(t *testing.T) {
	src := mustNew(t, Config{Method: AdaGrad, BaseLR: 0.1})
	params := network(7)
	fillGrads(0, params)
	src.Update(0, params[:3])
	_, state := src.State()

	s := mustNew(t, Config{Method: AdaGrad, BaseLR: 0.1})
	if err := s.LoadState(cloneState(state)); err != nil {
		t.Fatal(err)
	}
	err := s.Prepare(params)
	want := "no solver.adagrad_h/fc2.bias in the loaded state for param fc2.bias"
	if !errors.Is(err, ErrBadState) || !strings.Contains(err.Error(), want) {
		t.Errorf("Prepare: %v, want ErrBadState with %q", err, want)
	}

	// A loaded shape that does not fit the param is reported too.
	reshaped := cloneParams(params[:3])
	reshaped[0].Value = tensor.New(4, 3)
	reshaped[0].Grad = tensor.New(4, 3)
	err = s.Prepare(reshaped)
	want = "solver.adagrad_h/fc1.weight has shape 3x4 but param fc1.weight has 4x3"
	if !errors.Is(err, ErrBadState) || !strings.Contains(err.Error(), want) {
		t.Errorf("Prepare: %v, want ErrBadState with %q", err, want)
	}
}

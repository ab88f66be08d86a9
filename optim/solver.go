package optim

import (
	"errors"
	"fmt"

	"github.com/mariana-dl/mariana/internal/par"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// grain is the fewest elements worth a goroutine of their own: below it the
// start-up of a goroutine costs more than the memory-bound loop it runs.
const grain = 1 << 15

// Solver applies one update rule and learning-rate schedule to parameters,
// keeping each parameter's history (momentum or AdaGrad's sum of squares)
// under the parameter's name.
//
// A Solver updates whatever parameters it is handed, so in data-parallel
// training each device's solver updates only the partition of parameters
// the device owns, and that partition's history lives with it. It is not
// safe for concurrent use; give each device its own.
type Solver struct {
	cfg   Config
	sched schedule

	// kind names the history the method keeps ([MomentumState] or
	// [AdaGradState]), or is empty when it keeps none.
	kind string

	// hist holds each parameter's history by parameter name. loaded is set
	// by LoadState, after which Prepare insists every parameter has one.
	hist   map[string]*tensor.Tensor
	loaded bool

	// The arguments of the update being split over threads, and the bound
	// method par.For calls: binding it once in New keeps Update from
	// allocating a closure per parameter.
	w, g, h     []float32
	rate, decay float32
	run         func(worker, lo, hi int)
}

// New returns a solver for cfg, or the joined [*FieldError]s that
// [Config.Validate] reports. It keeps its own copy of cfg.
func New(cfg Config) (*Solver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Solver{cfg: cfg.withDefaults(), hist: make(map[string]*tensor.Tensor)}
	switch {
	case s.cfg.Method == AdaGrad:
		s.kind = AdaGradState
	case s.cfg.Method == Nesterov || s.cfg.Momentum != 0:
		s.kind = MomentumState
	}
	s.sched = newSchedule(&s.cfg)
	s.run = s.runRange
	return s, nil
}

// Config returns the solver's configuration with the defaults filled in.
func (s *Solver) Config() Config {
	c := s.cfg
	c.Steps = append([]int64(nil), c.Steps...)
	return c
}

// Prepare checks params and creates their history now rather than in the
// first Update, so that memory is accounted for before training and no
// Update allocates. It reports as errors what Update would panic on: a
// parameter without a name, Value or Grad, a Grad of another shape, a
// multiplier that is negative or not finite, a name listed twice, and a
// history whose shape differs from its parameter's. After [Solver.LoadState]
// it also reports every parameter the loaded state has no history for, so
// a resume that would silently restart from zero momentum fails instead.
//
// Call it once with the parameters this solver will update, after
// LoadState when resuming.
func (s *Solver) Prepare(params []*layer.Param) error {
	var errs []error
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		if err := checkParam(p); err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("%w: %s: listed twice", ErrBadParam, p.Name))
			continue
		}
		seen[p.Name] = true
		if s.kind == "" {
			continue
		}

		if _, ok := s.hist[p.Name]; !ok && s.loaded {
			errs = append(errs, fmt.Errorf("%w: no %s in the loaded state for param %s",
				ErrBadState, StateName(s.kind, p.Name), p.Name))
			continue
		}
		if _, err := s.history(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Update applies one step of the update rule to every parameter in params,
// reading p.Grad, which must be final (summed over replicas and scaled as
// the loss wants), and writing p.Value; p.Grad is left as it was. step
// selects the learning rate through the policy, counted from 0.
//
// params may be any subset of a network's parameters, in any order; each
// is updated independently, with the history kept under its name, so
// updating a partition per call gives bit-identical results to updating
// all of them at once. The history of a parameter seen for the first time
// is created then, zeroed, which is the only allocation Update makes (with
// Threads above 1, par.For's goroutines allocate a little too).
//
// Update panics on a bad parameter or a history of the wrong shape, as
// [Solver.Prepare] describes them: those are errors of the program, and
// Prepare is where a caller that resumes from user-supplied state turns
// them into errors. Two checks are Prepare's alone, because they would
// cost Update allocations: a name listed twice (its history would be
// stepped twice) and, after LoadState, a parameter the loaded state lacks
// (its history starts from zero).
func (s *Solver) Update(step int64, params []*layer.Param) {
	lr := s.LR(step)
	for _, p := range params {
		if err := checkParam(p); err != nil {
			panic(err)
		}
		var h []float32
		if s.kind != "" {
			t, err := s.history(p)
			if err != nil {
				panic(err)
			}
			h = t.Data
		}
		s.apply(p.Value.Data, p.Grad.Data, h, lr*p.LRMult, s.cfg.WeightDecay*p.DecayMult)
	}
}

// StateBytes returns the memory the solver's history holds, for the
// device's accounting.
func (s *Solver) StateBytes() int64 {
	var n int64
	for _, t := range s.hist {
		n += t.Bytes()
	}
	return n
}

// history returns p's history, creating it zeroed on first sight.
func (s *Solver) history(p *layer.Param) (*tensor.Tensor, error) {
	t, ok := s.hist[p.Name]
	if !ok {
		t = tensor.New(p.Value.Shape...)
		s.hist[p.Name] = t
		return t, nil
	}
	if !t.Shape.Equal(p.Value.Shape) {
		return nil, fmt.Errorf("%w: %s has shape %v but param %s has %v",
			ErrBadState, StateName(s.kind, p.Name), t.Shape, p.Name, p.Value.Shape)
	}
	return t, nil
}

// apply updates one parameter, split over threads when it is large enough.
// Each element's update depends on that element alone, so the split does
// not change the result.
func (s *Solver) apply(w, g, h []float32, rate, decay float32) {
	workers := min(s.cfg.Threads, len(w)/grain)
	if workers <= 1 {
		s.kernel(w, g, h, rate, decay)
		return
	}

	// TODO: par.For starts its goroutines on every call, which allocates a
	// little per large parameter and step; a persistent worker pool in
	// internal/par would make threaded updates allocation-free too.
	s.w, s.g, s.h, s.rate, s.decay = w, g, h, rate, decay
	par.For(workers, len(w), s.run)
	s.w, s.g, s.h = nil, nil, nil
}

// runRange is the par.For body: the current update over [lo, hi).
func (s *Solver) runRange(_, lo, hi int) {
	var h []float32
	if s.h != nil {
		h = s.h[lo:hi]
	}
	s.kernel(s.w[lo:hi], s.g[lo:hi], h, s.rate, s.decay)
}

// kernel runs the method's update rule on matching slices.
func (s *Solver) kernel(w, g, h []float32, rate, decay float32) {
	switch {
	case s.cfg.Method == AdaGrad:
		adaGrad(w, g, h, rate, decay, s.cfg.Epsilon)
	case s.cfg.Method == Nesterov:
		nesterov(w, g, h, rate, decay, s.cfg.Momentum)
	case h != nil:
		sgdMomentum(w, g, h, rate, decay, s.cfg.Momentum)
	default:
		sgdPlain(w, g, rate, decay)
	}
}

// checkParam reports why p cannot be updated, or nil. It allocates only
// when it fails, so Update can call it every step.
func checkParam(p *layer.Param) error {
	switch {
	case p == nil:
		return fmt.Errorf("%w: nil param", ErrBadParam)
	case p.Name == "":
		return fmt.Errorf("%w: param without a name", ErrBadParam)
	case p.Value == nil || p.Grad == nil:
		return fmt.Errorf("%w: %s: no value or no gradient", ErrBadParam, p.Name)
	case !p.Grad.Shape.Equal(p.Value.Shape):
		return fmt.Errorf("%w: %s: gradient has shape %v, value %v",
			ErrBadParam, p.Name, p.Grad.Shape, p.Value.Shape)
	case len(p.Value.Data) != p.Value.Shape.Size() || len(p.Grad.Data) != len(p.Value.Data):
		return fmt.Errorf("%w: %s: shape %v needs %d elements, value has %d, gradient %d",
			ErrBadParam, p.Name, p.Value.Shape, p.Value.Shape.Size(),
			len(p.Value.Data), len(p.Grad.Data))
	case !finite(p.LRMult) || p.LRMult < 0:
		return fmt.Errorf("%w: %s: lr_mult must be a finite number >= 0, got %g",
			ErrBadParam, p.Name, p.LRMult)
	case !finite(p.DecayMult) || p.DecayMult < 0:
		return fmt.Errorf("%w: %s: decay_mult must be a finite number >= 0, got %g",
			ErrBadParam, p.Name, p.DecayMult)
	}
	return nil
}

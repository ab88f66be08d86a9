package optim

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mariana-dl/mariana/tensor"
)

// The kinds of history a solver keeps, as the first part of a state
// tensor's name (see [StateName]).
const (
	// MomentumState is the velocity v of sgd (when momentum is not 0) and
	// nesterov, with the sign of the step: w += v.
	MomentumState = "solver.momentum"

	// AdaGradState is adagrad's running sum of squared gradients h.
	AdaGradState = "solver.adagrad_h"
)

// StateName returns the checkpoint name of a parameter's history, such as
// "solver.momentum/fc1.weight".
func StateName(kind, param string) string {
	return kind + "/" + param
}

// ParseStateName splits a name made by [StateName] into the kind of
// history and the parameter's name. It fails, wrapping [ErrBadState], on a
// kind it does not know or an empty parameter name. The data-parallel
// framework uses it to hand each device the entries of the parameters that
// device owns.
func ParseStateName(name string) (kind, param string, err error) {
	kind, param, ok := strings.Cut(name, "/")
	switch {
	case !ok || param == "":
		return "", "", fmt.Errorf("%w: name %q is not kind/param, as in %q",
			ErrBadState, name, StateName(MomentumState, "fc1.weight"))
	case kind != MomentumState && kind != AdaGradState:
		return "", "", fmt.Errorf("%w: %q: unknown kind %q; want %s or %s",
			ErrBadState, name, kind, MomentumState, AdaGradState)
	}
	return kind, param, nil
}

// State returns the solver's history for a checkpoint: the tensor names,
// sorted, and the tensors by name. The tensors are the solver's own, not
// copies: write them before the next Update, or Clone them to keep them.
// sgd with momentum 0 keeps no history and returns none.
//
// A solver restored from this state with [Solver.LoadState] continues with
// updates bit-identical to this one's.
func (s *Solver) State() (names []string, tensors map[string]*tensor.Tensor) {
	tensors = make(map[string]*tensor.Tensor, len(s.hist))
	for param, t := range s.hist {
		tensors[StateName(s.kind, param)] = t
	}
	return slices.Sorted(maps.Keys(tensors)), tensors
}

// LoadState replaces the solver's history with the given one, as
// [Solver.State] returned it, copying the values. It accepts exactly the
// entries of the parameters this solver updates: a device that owns a
// partition passes only that partition's entries (see [ParseStateName]).
//
// It fails, wrapping [ErrBadState] and changing nothing, when a name is not
// one [StateName] makes, names a kind of history this method does not keep,
// or holds a tensor whose data does not match its shape, whose values are
// not finite, or (AdaGrad) has a negative sum of squares; when the shape
// differs from the history the solver already holds for that parameter;
// and when a parameter the solver already holds history for is missing.
// Parameters it has not seen yet are checked by [Solver.Prepare].
func (s *Solver) LoadState(state map[string]*tensor.Tensor) error {
	loaded := make(map[string]*tensor.Tensor, len(state))
	for _, name := range slices.Sorted(maps.Keys(state)) {
		t := state[name]
		kind, param, err := ParseStateName(name)
		if err != nil {
			return err
		}
		if err := s.checkState(kind, param, t); err != nil {
			return fmt.Errorf("%w: %s: %s", ErrBadState, name, err)
		}
		loaded[param] = t
	}
	for _, param := range slices.Sorted(maps.Keys(s.hist)) {
		if _, ok := loaded[param]; !ok {
			return fmt.Errorf("%w: no %s for param %s, whose history this solver holds",
				ErrBadState, StateName(s.kind, param), param)
		}
	}

	// Everything is valid: now copy, reusing the tensors already held.
	for param, t := range loaded {
		if old, ok := s.hist[param]; ok {
			copy(old.Data, t.Data)
			loaded[param] = old
		} else {
			loaded[param] = t.Clone()
		}
	}
	s.hist = loaded
	s.loaded = true
	return nil
}

// checkState reports, as a message for LoadState to prefix with the name,
// why t cannot be param's history of the given kind, or nil.
func (s *Solver) checkState(kind, param string, t *tensor.Tensor) error {
	switch {
	case s.kind == "":
		return errors.New("sgd with momentum 0 keeps no history")
	case kind != s.kind:
		return fmt.Errorf("method %s keeps %s, not %s", s.cfg.Method, s.kind, kind)
	case t == nil:
		return errors.New("no tensor")
	case len(t.Data) != t.Shape.Size():
		return fmt.Errorf("shape %v needs %d elements, has %d",
			t.Shape, t.Shape.Size(), len(t.Data))
	}
	if old, ok := s.hist[param]; ok && !old.Shape.Equal(t.Shape) {
		return fmt.Errorf("shape %v, but param %s has %v", t.Shape, param, old.Shape)
	}
	for i, v := range t.Data {
		switch {
		case !finite(v):
			return fmt.Errorf("element %d is %g; history must be finite", i, v)
		case kind == AdaGradState && v < 0:
			return fmt.Errorf("element %d is %g; a sum of squares cannot be negative", i, v)
		}
	}
	return nil
}

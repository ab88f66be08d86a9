package optim

import "errors"

// Sentinels for errors.Is. Every error the package returns wraps one.
var (
	// ErrInvalidConfig is wrapped by every [*FieldError].
	ErrInvalidConfig = errors.New("optim: invalid config")

	// ErrBadState reports a solver state, as given to [Solver.LoadState],
	// that cannot belong to this solver or to the parameters it updates.
	ErrBadState = errors.New("optim: bad solver state")

	// ErrBadParam reports a parameter that cannot be updated: no name, no
	// gradient, a gradient of another shape, or a bad multiplier.
	ErrBadParam = errors.New("optim: bad param")
)

// FieldError is one problem with one field of a [Config]. Field is the
// spec's word for it (lr, momentum, weight_decay, epsilon, method,
// lr_policy.type, lr_policy.gamma, lr_policy.power, lr_policy.step_size,
// lr_policy.steps, threads), so the spec reader can point at the line the
// user wrote.
type FieldError struct {
	// Field is the spec's name for the field, such as "lr_policy.gamma"
	// or "lr_policy.steps[2]".
	Field string

	// Msg says what is wrong and what would be right.
	Msg string
}

// Error formats the problem as "optim: invalid config: field: msg".
func (e *FieldError) Error() string {
	return ErrInvalidConfig.Error() + ": " + e.Field + ": " + e.Msg
}

// Unwrap lets errors.Is match [ErrInvalidConfig].
func (e *FieldError) Unwrap() error { return ErrInvalidConfig }

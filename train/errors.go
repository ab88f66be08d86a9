package train

import (
	"errors"
	"fmt"
)

// ErrNonFinite is wrapped by the error a run stops with when the loss or
// the parameters stop being finite numbers.
var ErrNonFinite = errors.New("train: loss is not finite")

// NonFiniteError says where a run diverged and which checkpoint, if any,
// still holds the last good model.
type NonFiniteError struct {
	Step           int64
	Loss           float64
	What           string // "loss" or the name of the first non-finite parameter
	LastCheckpoint string // "" when none was written
}

func (e *NonFiniteError) Error() string {
	msg := fmt.Sprintf("train: step %d: %s is not finite (loss %v); "+
		"lower the learning rate or check the data", e.Step, e.What, e.Loss)
	if e.LastCheckpoint != "" {
		msg += "; the last good checkpoint is " + e.LastCheckpoint
	} else {
		msg += "; no checkpoint was written"
	}
	return msg
}

func (e *NonFiniteError) Unwrap() error { return ErrNonFinite }

// errNoFiles is the error of a pipeline asked of a format without files.
var errNoFiles = errors.New("train: the input pipeline reads mnist or cifar10 files only")

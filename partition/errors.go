package partition

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is.
var (
	// ErrConfig: the configuration is invalid on its own, such as no
	// workers or a layer assigned to a partition that does not exist.
	ErrConfig = errors.New("partition: invalid configuration")

	// ErrSplit: a layer cannot be cut as asked, such as a conv layer
	// whose filters do not divide into the columns. The error names the
	// spec layer and its line.
	ErrSplit = errors.New("partition: the network cannot be split")

	// ErrAborted: a step stopped because a worker of the run failed; the
	// run cannot go on.
	ErrAborted = errors.New("partition: a worker failed")

	// ErrNonFinite: a step's loss is NaN or infinite. The step stops
	// before any parameter changes, and the run cannot go on.
	ErrNonFinite = errors.New("partition: the loss is not finite")
)

// splitError is an ErrSplit error whose message names the layer and says
// what does not fit, without repeating the sentinel's text.
type splitError struct{ msg string }

func (e *splitError) Error() string { return e.msg }

func (e *splitError) Unwrap() error { return ErrSplit }

// LossError is the error of a step whose loss is not finite. It wraps
// ErrNonFinite.
type LossError struct {
	Step  int64
	Group int

	// Sum is the group's sum of per-sample losses: NaN or infinite.
	Sum float64
}

func (e *LossError) Error() string {
	return fmt.Sprintf("partition: step %d: the loss of group %d sums to %v", e.Step, e.Group,
		e.Sum)
}

// Unwrap returns ErrNonFinite.
func (e *LossError) Unwrap() error { return ErrNonFinite }

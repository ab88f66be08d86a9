package layer

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is. Every error Setup returns wraps one of them.
var (
	// ErrConfig: the layer's configuration is invalid on its own, such as
	// a non-positive number of outputs.
	ErrConfig = errors.New("layer: invalid configuration")

	// ErrShape: the inputs do not fit the layer, such as a kernel larger
	// than the padded input or concatenated inputs of different heights.
	ErrShape = errors.New("layer: input shapes do not fit")
)

// setupError is an error of Setup: its message names the layer and the
// spec field at fault, and it unwraps to ErrConfig or ErrShape.
type setupError struct {
	kind error
	msg  string
}

func (e *setupError) Error() string { return e.msg }

func (e *setupError) Unwrap() error { return e.kind }

// configErrorf returns an ErrConfig error "layer: name: <message>". The
// message uses the spec's field names (outputs, rate, weight_fill, ...).
func configErrorf(name, format string, args ...any) error {
	return &setupError{kind: ErrConfig, msg: "layer: " + name + ": " + fmt.Sprintf(format, args...)}
}

// shapeErrorf returns an ErrShape error "layer: name: <message>".
func shapeErrorf(name, format string, args ...any) error {
	return &setupError{kind: ErrShape, msg: "layer: " + name + ": " + fmt.Sprintf(format, args...)}
}

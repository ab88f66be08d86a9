package examples

import "errors"

// ErrUnknown is wrapped by the error for a name that is not an example.
var ErrUnknown = errors.New("examples: unknown example")

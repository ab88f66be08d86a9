package checkpoint

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinels for errors.Is.
var (
	// ErrTruncated is wrapped by a [*FormatError] for a file that ends
	// before the data its header describes.
	ErrTruncated = errors.New("checkpoint: truncated file")

	// ErrCorrupt is wrapped by a [*FormatError] for a malformed file: a
	// bad header, overlapping or missing byte ranges, trailing bytes.
	ErrCorrupt = errors.New("checkpoint: corrupt file")

	// ErrUnsupported is wrapped by a [*FormatError] for a well-formed file
	// that holds something Mariana does not read, such as F16 tensors.
	ErrUnsupported = errors.New("checkpoint: unsupported content")

	// ErrInvalid reports a [Checkpoint] that cannot be written: a tensor
	// without a name, a name listed twice, data that does not fit the
	// shape.
	ErrInvalid = errors.New("checkpoint: invalid checkpoint")

	// ErrNoCheckpoint reports a directory without a readable checkpoint.
	ErrNoCheckpoint = errors.New("checkpoint: no valid checkpoint")
)

// FormatError is a problem with the contents of a checkpoint file.
type FormatError struct {
	File   string // path of the file, or the name given to Decode
	Tensor string // the tensor at fault; empty when it is not one tensor's
	Offset int64  // byte offset in the file
	Kind   error  // ErrTruncated, ErrCorrupt or ErrUnsupported
	Detail string // what was wrong, in words
}

// Error formats the error as
// `checkpoint: FILE: tensor "NAME": [truncated ]at byte N: DETAIL`.
func (e *FormatError) Error() string {
	tensor := ""
	if e.Tensor != "" {
		tensor = "tensor " + strconv.Quote(e.Tensor) + ": "
	}
	where := "at byte"
	if e.Kind == ErrTruncated {
		where = "truncated at byte"
	}
	return fmt.Sprintf("checkpoint: %s: %s%s %d: %s", e.File, tensor, where, e.Offset, e.Detail)
}

// Unwrap returns Kind.
func (e *FormatError) Unwrap() error { return e.Kind }

// invalidError is a checkpoint that cannot be written; it reads
// "checkpoint: <message>" and unwraps to ErrInvalid.
type invalidError struct{ msg string }

func (e *invalidError) Error() string { return e.msg }

func (e *invalidError) Unwrap() error { return ErrInvalid }

// invalidf returns an ErrInvalid error "checkpoint: <message>".
func invalidf(format string, args ...any) error {
	return &invalidError{msg: "checkpoint: " + fmt.Sprintf(format, args...)}
}

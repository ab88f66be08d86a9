package pipeline

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is. File problems are [*data.FileError] values that
// wrap [data.ErrTruncated] or [data.ErrCorrupt].
var (
	// ErrConfig reports an invalid configuration or argument.
	ErrConfig = errors.New("pipeline: invalid configuration")

	// ErrClosed is returned by the methods of a closed pipeline.
	ErrClosed = errors.New("pipeline: closed")

	// ErrCompressed reports a gzip-compressed data file opened without a
	// cache folder to decompress it into.
	ErrCompressed = errors.New("pipeline: compressed file needs a cache folder")
)

// configError is an invalid argument; it reads "pipeline: <message>" and
// unwraps to ErrConfig.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func (e *configError) Unwrap() error { return ErrConfig }

// configErrorf returns an ErrConfig error "pipeline: <message>".
func configErrorf(format string, args ...any) error {
	return &configError{msg: "pipeline: " + fmt.Sprintf(format, args...)}
}

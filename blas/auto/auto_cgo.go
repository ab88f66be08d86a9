//go:build cgo

package auto

import (
	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/blas/native"
	"github.com/mariana-dl/mariana/blas/openblas"
)

// New returns an OpenBLAS implementation whose products use at most threads
// threads, or the pure-Go one when no OpenBLAS library loads ([Reason]
// says why).
func New(threads int) blas.Impl {
	if openblas.Load() != nil {
		return native.New(threads)
	}
	return openblas.New(threads)
}

// Reason says why [New] returns the pure-Go implementation, or "" when it
// returns OpenBLAS.
func Reason() string {
	if err := openblas.Load(); err != nil {
		return err.Error()
	}
	return ""
}

// Describe names the implementation [New] returns and how it computes, for
// logs: the OpenBLAS kernels, threading and library, or why the pure-Go
// products stand in.
func Describe() string {
	if err := openblas.Load(); err != nil {
		return "native (" + err.Error() + ")"
	}
	return "openblas (" + openblas.Core() + " kernels, " + openblas.Threading() +
		" threads, " + openblas.Library() + ")"
}

//go:build !cgo

package auto

import (
	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/blas/native"
)

// New returns the pure-Go implementation, which uses threads goroutines per
// product: this build has no cgo, so OpenBLAS is out of reach.
func New(threads int) blas.Impl {
	return native.New(threads)
}

// Reason says why [New] returns the pure-Go implementation.
func Reason() string {
	return "built without cgo (CGO_ENABLED=0)"
}

// Describe names the implementation [New] returns, for logs.
func Describe() string {
	return "native (" + Reason() + ")"
}

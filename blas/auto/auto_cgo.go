//go:build cgo

package auto

import (
	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/blas/openblas"
)

// New returns an OpenBLAS implementation that uses threads goroutines per
// product.
func New(threads int) blas.Impl {
	return openblas.New(threads)
}

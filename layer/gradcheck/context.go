package gradcheck

import (
	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/internal/par"
	"github.com/mariana-dl/mariana/layer"
)

// NewContext returns a training context as a CPU device with threads
// threads would build it: products on the build's best BLAS (blas/auto)
// with that many threads, a one-thread SerialBLAS, and with more than one
// thread a persistent worker pool for the layers' loops. The pool's idle
// goroutines are never stopped; a test makes few contexts.
func NewContext(threads int) *layer.Context {
	threads = max(threads, 1)
	ctx := &layer.Context{
		BLAS:       auto.New(threads),
		SerialBLAS: auto.New(1),
		Threads:    threads,
		Train:      true,
	}
	if threads > 1 {
		ctx.Pool = par.NewPool(threads, nil)
	}
	return ctx
}

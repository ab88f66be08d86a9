package gradcheck

import (
	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/layer"
)

// NewContext returns a training context as a CPU device with threads
// threads would build it: products on the build's best BLAS (blas/auto)
// with that many threads, and a one-thread SerialBLAS.
func NewContext(threads int) *layer.Context {
	threads = max(threads, 1)
	return &layer.Context{
		BLAS:       auto.New(threads),
		SerialBLAS: auto.New(1),
		Threads:    threads,
		Train:      true,
	}
}

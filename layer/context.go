package layer

import (
	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/internal/par"
)

// Context is what a layer's computation may use. A device owns one per
// worker; it is never shared between goroutines that compute at once.
type Context struct {
	// BLAS computes the matrix products, with the thread count of the
	// device that owns this context.
	BLAS blas.Impl

	// SerialBLAS is a one-thread implementation for products a layer runs
	// inside its own parallel workers (for example one convolution GEMM
	// per sample chunk), where nesting threads would oversubscribe cores.
	SerialBLAS blas.Impl

	// Threads is how many goroutines a layer may use for its own loops
	// (im2col, pooling, element-wise work); at least 1. It matches
	// BLAS.Threads() on a CPU device.
	Threads int

	// Pool, when set, runs the layers' loops on a device's persistent
	// workers (Pool.Threads() == Threads) instead of fresh goroutines, so
	// that a step allocates nothing and the workers can stay on the
	// device's cores.
	Pool *par.Pool

	// Train is true while training: dropout drops, and Backward may follow.
	Train bool

	// Step is the global step being computed, and SampleOffset the index of
	// in[0]'s first sample within the step's global mini-batch. Random
	// layers (dropout) derive their randomness from the seed, Step and the
	// global sample index, so a resumed run and a run whose mini-batch is
	// split among replicas draw exactly the same masks.
	Step         int64
	SampleOffset int
}

// For splits a layer's loop over the context's threads: fn(worker, lo, hi)
// runs on disjoint ranges covering [0, n), on the Pool when there is one.
func (c *Context) For(n int, fn func(worker, lo, hi int)) {
	if c.Pool != nil {
		c.Pool.For(n, fn)
		return
	}
	par.For(max(c.Threads, 1), n, fn)
}

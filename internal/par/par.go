// Package par splits a loop over a fixed number of goroutines. It is the
// only place the core starts goroutines for computation, so a device's
// thread budget is honoured everywhere.
package par

import (
	"sync"
	"sync/atomic"
)

// piecesPerWorker is how many pieces a loop is cut into per worker. The
// workers take pieces in order as they finish the previous one, so that a
// worker slowed by anything else on its core (another process, the
// runtime, an interrupt) takes fewer, instead of the others idling at the
// end of the loop while it finishes an equal share. Eight keeps the last
// piece an eighth of a worker's share and the cost of taking one, an
// atomic add, negligible.
const piecesPerWorker = 8

// pieces is the number of pieces For cuts n iterations into for workers.
func pieces(workers, n int) int { return min(n, workers*piecesPerWorker) }

// piece returns the range [lo, hi) of piece i of n iterations cut into
// parts pieces: contiguous, in order, sizes differing by at most one.
func piece(i, parts, n int) (lo, hi int) { return i * n / parts, (i + 1) * n / parts }

// take runs fn on worker w over the pieces it takes from next until none
// are left.
func take(next *atomic.Int64, w, parts, n int, fn func(worker, lo, hi int)) {
	for {
		i := int(next.Add(1)) - 1
		if i >= parts {
			return
		}
		lo, hi := piece(i, parts, n)
		fn(w, lo, hi)
	}
}

// For calls fn(worker, lo, hi) on disjoint, contiguous ranges that cover
// [0, n), on up to threads goroutines, and returns when all are done.
// worker is in [0, threads) and lets fn pick per-thread scratch: one
// worker's calls run one after another. Which worker runs which range
// depends on timing, so fn's result for a range must not depend on the
// worker. With threads <= 1 or n <= 1 it runs fn(0, 0, n) on the calling
// goroutine.
func For(threads, n int, fn func(worker, lo, hi int)) {
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}

	var (
		wg   sync.WaitGroup
		next atomic.Int64
	)
	parts := pieces(threads, n)
	wg.Add(threads - 1)
	for w := 1; w < threads; w++ {
		go func() {
			defer wg.Done()
			take(&next, w, parts, n, fn)
		}()
	}
	take(&next, 0, parts, n, fn)
	wg.Wait()
}

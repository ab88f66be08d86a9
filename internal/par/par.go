// Package par splits a loop over a fixed number of goroutines. It is the
// only place the core starts goroutines for computation, so a device's
// thread budget is honoured everywhere.
package par

import "sync"

// For calls fn(worker, lo, hi) on up to threads disjoint, contiguous ranges
// that cover [0, n), each on its own goroutine, and returns when all are
// done. worker is in [0, threads) and lets fn pick per-thread scratch. With
// threads <= 1 or n <= 1 it runs fn(0, 0, n) on the calling goroutine.
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

	var wg sync.WaitGroup
	chunk, extra := n/threads, n%threads
	lo := 0
	for w := 0; w < threads; w++ {
		hi := lo + chunk
		if w < extra {
			hi++
		}
		if w == threads-1 {
			fn(w, lo, hi)
			break
		}
		wg.Add(1)
		go func(w, lo, hi int) {
			defer wg.Done()
			fn(w, lo, hi)
		}(w, lo, hi)
		lo = hi
	}
	wg.Wait()
}

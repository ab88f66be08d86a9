package par

import (
	"sync"
	"sync/atomic"
)

// Pool is a fixed set of goroutines that run the pieces of loops, so that a
// device's loops start no goroutines and allocate nothing once the pool
// runs, and so that a device can keep its workers on its own cores.
//
// One goroutine drives a pool: For calls from several goroutines at once
// are run one after another. A loop body must not call For on its own pool.
type Pool struct {
	threads int
	mu      sync.Mutex
	tasks   []chan task
	wg      sync.WaitGroup
	next    atomic.Int64 // the next piece of the running loop
	closed  bool
}

// task is one worker's part in a loop: take pieces of n iterations cut
// into parts from next, and call fn on them.
type task struct {
	fn       func(worker, lo, hi int)
	w        int
	parts, n int
	next     *atomic.Int64
	finish   *sync.WaitGroup
}

// NewPool starts a pool of threads workers: threads-1 goroutines, the
// caller of For being the last. start, when not nil, runs first on every
// pool goroutine with its worker number (1 to threads-1), for example to
// lock it to an OS thread pinned to a core.
func NewPool(threads int, start func(worker int)) *Pool {
	p := &Pool{threads: max(threads, 1)}
	p.tasks = make([]chan task, p.threads-1)
	for i := range p.tasks {
		ch := make(chan task)
		p.tasks[i] = ch
		go func(worker int) {
			if start != nil {
				start(worker)
			}
			for t := range ch {
				take(t.next, t.w, t.parts, t.n, t.fn)
				t.finish.Done()
			}
		}(i + 1)
	}
	return p
}

// Threads returns the number of workers, the caller of For included.
func (p *Pool) Threads() int { return p.threads }

// For is [For] on the pool's workers: fn(worker, lo, hi) runs on disjoint,
// contiguous ranges covering [0, n), taken in turn by up to Threads
// workers, and For returns when all are done. The calling goroutine is
// worker 0.
func (p *Pool) For(n int, fn func(worker, lo, hi int)) {
	workers := min(p.threads, n)
	if workers <= 1 {
		if n > 0 {
			fn(0, 0, n)
		}
		return
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		panic("par: For on a closed pool")
	}

	parts := pieces(workers, n)
	p.next.Store(0)
	p.wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		p.tasks[w-1] <- task{fn: fn, w: w, parts: parts, n: n, next: &p.next, finish: &p.wg}
	}
	take(&p.next, 0, parts, n, fn)
	p.wg.Wait()
}

// Close stops the pool's goroutines. The pool must not be used afterwards.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, ch := range p.tasks {
		close(ch)
	}
}

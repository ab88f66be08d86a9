package par

import "sync"

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
	closed  bool
}

type task struct {
	fn     func(worker, lo, hi int)
	w, lo  int
	hi     int
	finish *sync.WaitGroup
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
				t.fn(t.w, t.lo, t.hi)
				t.finish.Done()
			}
		}(i + 1)
	}
	return p
}

// Threads returns the number of workers, the caller of For included.
func (p *Pool) Threads() int { return p.threads }

// For is [For] on the pool's workers: fn(worker, lo, hi) runs on up to
// Threads disjoint, contiguous ranges covering [0, n), and For returns when
// all are done. The calling goroutine runs worker 0's range.
func (p *Pool) For(n int, fn func(worker, lo, hi int)) {
	parts := min(p.threads, n)
	if parts <= 1 {
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

	chunk, extra := n/parts, n%parts
	bounds := func(w int) (int, int) {
		lo := w*chunk + min(w, extra)
		hi := lo + chunk
		if w < extra {
			hi++
		}
		return lo, hi
	}
	p.wg.Add(parts - 1)
	for w := 1; w < parts; w++ {
		lo, hi := bounds(w)
		p.tasks[w-1] <- task{fn: fn, w: w, lo: lo, hi: hi, finish: &p.wg}
	}
	lo, hi := bounds(0)
	fn(0, lo, hi)
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

package exchange

import "sync"

// Note [Overlap]
//
// A layer's gradients are final as soon as its backward pass is done, so
// their exchange can start while the layers below are still computing.
// A Queue owns one goroutine that runs Exchange on the segments handed to
// Start, one after another in the order they were started. Every member
// must start the same segments (same lengths) in the same order; the
// backward pass visits layers in a fixed order, so that is natural.
//
// Each segment is partitioned on its own, so every member owns a slice of
// every layer and the owner updates stay balanced whatever the layer
// sizes. The update of a segment runs on the queue's goroutine, while the
// caller computes; it must only touch the parameters of its own range.

// Queue runs exchanges in the background, in the order they are started.
// Start must be called from one goroutine at a time.
type Queue struct {
	c    Collective
	reqs chan request
	stop chan struct{}

	// sendMu orders Start's send on reqs before Close closes it.
	sendMu sync.Mutex

	mu       sync.Mutex
	cond     sync.Cond
	started  uint64 // requests handed to Start
	finished uint64 // requests done, in order
	failedAt uint64 // first failed request, when err != nil
	err      error
	closed   bool
}

type request struct {
	id     uint64
	buf    []float32
	update UpdateFunc
}

// Handle is a started exchange. The zero Handle is done and succeeded.
type Handle struct {
	q  *Queue
	id uint64
}

// NewQueue starts a queue over c that accepts up to depth exchanges ahead
// of the one running before Start blocks; depth < 1 means 64. The queue
// does not close c.
func NewQueue(c Collective, depth int) *Queue {
	if depth < 1 {
		depth = 64
	}
	q := &Queue{
		c:    c,
		reqs: make(chan request, depth),
		stop: make(chan struct{}),
	}
	q.cond.L = &q.mu
	go q.loop()
	return q
}

func (q *Queue) loop() {
	defer close(q.stop)
	for r := range q.reqs {
		// After a failure the group is broken: the remaining requests
		// are only marked done, with the first error.
		q.mu.Lock()
		err := q.err
		q.mu.Unlock()
		if err == nil {
			err = q.c.Exchange(r.buf, r.update)
		}

		q.mu.Lock()
		q.finished = r.id
		if err != nil && q.err == nil {
			q.err, q.failedAt = err, r.id
		}
		q.cond.Broadcast()
		q.mu.Unlock()
	}
}

// Start queues the exchange of buf: reduce-scatter, update on the owners
// (nil for a plain all-reduce), all-gather. buf must not be touched until
// the handle's Wait returns.
func (q *Queue) Start(buf []float32, update UpdateFunc) Handle {
	q.sendMu.Lock()
	defer q.sendMu.Unlock()

	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return Handle{q: q, id: 0}
	}
	q.started++
	id := q.started
	q.mu.Unlock()

	q.reqs <- request{id: id, buf: buf, update: update}
	return Handle{q: q, id: id}
}

// Wait blocks until the exchange is done and returns its error. Once an
// exchange fails, it and every exchange started after it return that
// error; earlier ones keep their own result.
func (h Handle) Wait() error {
	q := h.q
	if q == nil {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if h.id == 0 {
		return ErrClosed
	}
	for q.finished < h.id {
		q.cond.Wait()
	}
	if q.err != nil && q.failedAt <= h.id {
		return q.err
	}
	return nil
}

// Wait blocks until every exchange started so far is done and returns the
// first error.
func (q *Queue) Wait() error {
	q.mu.Lock()
	id := q.started
	q.mu.Unlock()
	if id == 0 {
		return nil
	}
	return Handle{q: q, id: id}.Wait()
}

// Close waits for the started exchanges, stops the queue's goroutine and
// returns the first error. Later Starts return handles that fail with
// ErrClosed.
func (q *Queue) Close() error {
	q.sendMu.Lock()
	q.mu.Lock()
	first := !q.closed
	q.closed = true
	q.mu.Unlock()
	if first {
		close(q.reqs)
	}
	q.sendMu.Unlock()

	<-q.stop
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

package exchange

import "github.com/mariana-dl/mariana/exchange/internal/vec"

// Note [Programs]
//
// A collective operation is compiled, for one member, into a program: two
// lists of steps that run at once, main on the caller's goroutine and side
// on the collective's own goroutine, and a list that runs after both.
// Steps send, receive, add, copy, or synchronise main and side: side may
// wait for a token that main signals, which is how a ring sends a chunk
// only after it has received and added it.
//
// Two lists are enough for every schedule here, and they are what keeps
// the algorithms free of deadlock when a send only returns once the
// receiver has taken the data (the in-process transport): each list, on
// its own, only ever waits for a peer whose matching step does not depend
// on this member's other list. Programs are built into slices that are
// reused, so a running exchange does not allocate.

// stepOp is what a step does.
type stepOp uint8

const (
	opSend    stepOp = iota + 1 // send data to peer
	opRecv                      // receive from peer into data
	opRecvAdd                   // receive from peer and add to data
	opCopy                      // copy src into data
	opAdd                       // add src to data
	opSignal                    // give side a token
	opWait                      // take a token from main
)

// step is one step of a program.
type step struct {
	op   stepOp
	peer int
	data []float32
	src  []float32
}

func send(peer int, data []float32) step    { return step{op: opSend, peer: peer, data: data} }
func recv(peer int, data []float32) step    { return step{op: opRecv, peer: peer, data: data} }
func recvAdd(peer int, data []float32) step { return step{op: opRecvAdd, peer: peer, data: data} }
func copyTo(dst, src []float32) step        { return step{op: opCopy, data: dst, src: src} }
func addTo(dst, src []float32) step         { return step{op: opAdd, data: dst, src: src} }

var (
	signal = step{op: opSignal}
	wait   = step{op: opWait}
)

// program is one member's part of one operation.
type program struct {
	main, side, after []step
}

func (p *program) reset() {
	p.main, p.side, p.after = p.main[:0], p.side[:0], p.after[:0]
}

// runner executes programs: it owns the goroutine that runs side lists
// and the tokens main passes to side.
type runner struct {
	c      *collective
	jobs   chan job
	done   chan error
	tokens chan struct{}
}

// job is a side list to run under tag.
type job struct {
	steps []step
	tag   uint64
}

// start makes the runner of c, for a group of n; a group of one has
// nothing to run and gets no goroutine.
func (r *runner) start(c *collective, n int) {
	r.c = c
	if n == 1 {
		return
	}
	r.jobs = make(chan job)
	r.done = make(chan error)
	// A phase signals at most n-1 times; one more slot lets release fill
	// the channel without blocking.
	r.tokens = make(chan struct{}, n+1)
	go func() {
		for j := range r.jobs {
			r.done <- r.exec(j.steps, j.tag)
		}
	}()
}

func (r *runner) stop() {
	if r.jobs != nil {
		close(r.jobs)
	}
}

// run executes c.prog as operation phase.
func (c *collective) run(phase uint64) error {
	c.ops++
	tag := c.ops<<2 | phase
	p := &c.prog
	r := &c.runner

	// Tokens main signalled but side never took (main signals after its
	// last receive too) must not leak into this operation.
	for len(r.tokens) > 0 {
		<-r.tokens
	}

	if len(p.side) > 0 {
		r.jobs <- job{steps: p.side, tag: tag}
	}
	err := r.exec(p.main, tag)
	if len(p.side) > 0 {
		if err != nil {
			// The transport has failed, so side's transport steps fail
			// at once; it only needs tokens to get past its waits.
			r.release()
		}
		if serr := <-r.done; err == nil {
			err = serr
		}
	}
	if err == nil {
		err = r.exec(p.after, tag)
	}
	return err
}

// release fills the token channel so that side passes all its waits.
func (r *runner) release() {
	for {
		select {
		case r.tokens <- struct{}{}:
		default:
			return
		}
	}
}

// exec runs steps in order and stops at the first error. Messages of no
// values are skipped: sender and receiver compute the same partitions, so
// both skip the same ones.
func (r *runner) exec(steps []step, tag uint64) error {
	t := r.c.t
	for i := range steps {
		s := &steps[i]
		var err error
		switch s.op {
		case opSend:
			if len(s.data) > 0 {
				err = t.Send(s.peer, tag, s.data)
			}
		case opRecv:
			if len(s.data) > 0 {
				err = t.Recv(s.peer, tag, s.data)
			}
		case opRecvAdd:
			if len(s.data) > 0 {
				err = t.RecvAdd(s.peer, tag, s.data)
			}
		case opCopy:
			copy(s.data, s.src)
		case opAdd:
			vec.Add(s.data, s.src)
		case opSignal:
			r.tokens <- struct{}{}
		case opWait:
			<-r.tokens
		}
		if err != nil {
			return err
		}
	}
	return nil
}

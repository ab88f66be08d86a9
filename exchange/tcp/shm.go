package tcp

import (
	"runtime"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/internal/vec"
)

const (
	// spinRounds and spinChecks bound the busy wait before a waiter
	// sleeps: spinRounds times, it looks spinChecks times at the ring and
	// then lets the other goroutines of its process run. The cores are
	// busy computing, so the wait stays short; it only saves the futex
	// round trip when the other side is about to publish.
	spinRounds = 4
	spinChecks = 64

	// sleepSlice bounds each futex sleep, so that a waiter looks at the
	// group's state and its own timeout at least that often even if a
	// wake-up were lost. Failures and Close wake waiters at once.
	sleepSlice = 5 * time.Millisecond
)

// SharedMemory reports whether messages to member rank (send) and from
// it (recv) travel through shared memory rather than the TCP connection.
// Both are false for this member's own rank and for a rank outside the
// group.
func (t *Transport) SharedMemory(rank int) (send, recv bool) {
	if rank < 0 || rank >= len(t.peers) || t.peers[rank] == nil {
		return false, false
	}
	p := t.peers[rank]
	return p.shmOut, p.shmIn
}

// sendShm writes one message into the ring to p, as records of at most
// the ring's maxRecord bytes: a long message streams through the ring,
// which the receiver empties while this side fills it. A message inside
// a buffer that p mapped goes by reference instead (Note [Buffers by
// reference]).
func (p *peer) sendShm(tag uint64, data []float32) error {
	r := p.rings.out
	if r == nil {
		return p.t.failed() // Close unmapped it
	}
	if p.left.Load() {
		return p.errorf("send", exchange.ErrPeerClosed)
	}
	total := 4 * len(data)
	if err := checkMessageLen(total); err != nil {
		return err
	}

	if g, off, ok := p.t.ownedRegion(data, p.rank); ok {
		return p.sendRef(r, tag, g.id, off, total)
	}

	wire := vec.Bytes(data)
	for off := 0; ; {
		n, want := r.chunk(total - off)
		if r.free() < want {
			if err := p.await(r, "send", want); err != nil {
				return err
			}
		}
		r.put(tag, total, wire[off:off+n])
		off += n
		if off == total {
			return nil
		}
	}
}

// sendRef passes a message of total bytes at byte offset off of the
// owned buffer id to p by reference, and waits until p has released the
// record, which it does only once it has used the values.
func (p *peer) sendRef(r *ring, tag uint64, id uint32, off uint64, total int) error {
	if want := recordLen(refBytes); r.free() < want {
		if err := p.await(r, "send", want); err != nil {
			return err
		}
	}
	r.putRef(tag, total, id, off)
	p.t.byRef.Add(1)
	return p.await(r, "send", r.size)
}

// recvShm takes the records of one message from the ring from p and
// copies or adds their values into dst straight from the shared memory.
func (p *peer) recvShm(tag uint64, dst []float32, add bool) error {
	r := p.rings.in
	if r == nil {
		return p.t.failed() // Close unmapped it
	}
	want := 4 * len(dst)
	for off := 0; ; {
		if !r.published() {
			if err := p.await(r, "recv", 0); err != nil {
				return err
			}
		}
		rec, err := r.next()
		if err != nil {
			return p.errorf("recv", err)
		}
		if rec.ref {
			return p.recvRef(r, rec, off, tag, dst, add)
		}
		n := len(rec.payload)
		if rec.tag != tag || rec.msgLen != want || off+n > want {
			return p.errorf("recv", mismatch(rec.tag, rec.msgLen, tag, want))
		}

		seg := dst[off/4 : (off+n)/4]
		if add {
			vec.Add(seg, floats(rec.payload))
		} else {
			copy(seg, floats(rec.payload))
		}
		r.release(n)
		off += n
		if off == want {
			return nil
		}
	}
}

// recvRef copies or adds the message that the reference record rec
// names into dst, straight from p's buffer, and releases the record,
// which lets p's Send return. A reference passes a whole message, so it
// must come first, at byte off 0.
func (p *peer) recvRef(r *ring, rec record, off int, tag uint64, dst []float32,
	add bool) error {
	want := 4 * len(dst)
	if rec.tag != tag || rec.msgLen != want || off != 0 {
		return p.errorf("recv", mismatch(rec.tag, rec.msgLen, tag, want))
	}
	src, err := p.refValues(rec.region, rec.offset, want)
	if err != nil {
		return p.errorf("recv", err)
	}
	if add {
		vec.Add(dst, src)
	} else {
		copy(dst, src)
	}
	r.release(refBytes)
	return nil
}

// await waits until the ring can go on: for a receive (op "recv") until
// a record is published, for a send until need bytes are free. It gives
// up when the group fails, when p leaves or its connection ends, and
// after the I/O timeout without the ring moving, with the error naming
// the member that holds the group up. The wait shows in the answers to
// probes until then, the search for that member included: members that
// ask this one must see what it waits on.
func (p *peer) await(r *ring, op string, need uint64) error {
	w, since, what := r.dataWait, &p.recvSince, "no message"
	if op == "send" {
		w, since, what = r.spaceWait, &p.sendSince, "data not taken"
	}
	ready := func() bool {
		if op == "recv" {
			return r.published()
		}
		return r.free() >= need
	}
	for range spinRounds {
		for range spinChecks {
			if ready() {
				return nil
			}
		}
		runtime.Gosched()
	}

	t := p.t
	start := time.Now()
	since.Store(start.UnixNano())
	defer since.Store(0)
	defer w.sleeping.Store(0)
	for {
		seq := w.seq.Load()
		w.sleeping.Store(1)
		if ready() {
			return nil
		}
		select {
		case <-t.done:
			return t.err
		case <-p.gone:
			if p.left.Load() {
				return p.errorf(op, exchange.ErrPeerClosed)
			}
			return p.err
		default:
		}
		left := t.ioTimeout - time.Since(start)
		if left <= 0 {
			return t.stuck(p, op, what)
		}
		futexWait(w.seq, seq, min(left, sleepSlice))
	}
}

// wakeRings wakes whatever waits on p's rings in this process: the group
// failed or closed, or p's connection ended.
func (p *peer) wakeRings() {
	if p.shmIn {
		p.rings.in.dataWait.wakeAll()
	}
	if p.shmOut {
		p.rings.out.spaceWait.wakeAll()
	}
}

// releaseRings unmaps p's rings once no operation uses them.
func (p *peer) releaseRings() {
	if p.shmIn {
		p.rmu.Lock()
		if p.rings.in != nil {
			p.rings.in.unmap()
			p.rings.in = nil
		}
		p.rmu.Unlock()
	}
	if p.shmOut {
		p.smu.Lock()
		if p.rings.out != nil {
			p.rings.out.unmap()
			p.rings.out = nil
		}
		p.smu.Unlock()
	}
}

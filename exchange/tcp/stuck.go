package tcp

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/internal/waits"
)

// Note [Finding a stuck member]
//
// When a receive from peer P times out, P is not necessarily at fault: in
// a chain, P may itself wait on a member further along that has stopped
// taking part. So before failing, the member asks P what it waits on (a
// probe frame, answered by P's reader goroutine, which runs even when
// P's exchange is blocked or its main goroutine is busy), and follows the
// chain of waits member by member: every member is connected to every
// other, so it asks each directly. The walk ends at a member that waits
// on nobody (stuck outside the exchange), that does not answer (its
// process is stopped or its machine gone), or where the waits turn in a
// circle (the members called different operations). The error names that
// member. The walk is bounded by probeBudget, so an operation fails at
// most that long after its timeout.

// probeBudget is how long the whole walk may take.
func (t *Transport) probeBudget() time.Duration {
	return min(t.ioTimeout/4, time.Second)
}

// stuck is the error of an operation on p that timed out.
func (t *Transport) stuck(p *peer, op, what string) error {
	t.diagnosing.Lock()
	defer t.diagnosing.Unlock()
	if err := t.failed(); err != nil {
		return err
	}

	deadline := time.Now().Add(t.probeBudget())
	path, v := waits.Walk(t.rank, p.rank, t.ioTimeout, func(r int) ([]waits.Wait, bool) {
		if r == t.rank {
			return t.waits(), true
		}
		return t.probe(t.peers[r], deadline)
	})
	culprit := path[len(path)-1]
	return &exchange.PeerError{Rank: culprit, Addr: t.addrs[culprit], Op: op,
		Err: fmt.Errorf("%w: %s within %v; %s", exchange.ErrTimeout, what, t.ioTimeout,
			waits.Describe(path, v))}
}

// waits lists this member's blocked operations, longest first.
func (t *Transport) waits() []waits.Wait {
	now := time.Now().UnixNano()
	var ws []waits.Wait
	for _, p := range t.peers {
		if p == nil {
			continue
		}
		for _, since := range []int64{p.recvSince.Load(), p.sendSince.Load()} {
			if since != 0 {
				ws = append(ws, waits.Wait{Rank: p.rank, For: time.Duration(now - since)})
			}
		}
	}
	slices.SortFunc(ws, func(a, b waits.Wait) int { return cmp.Compare(b.For, a.For) })
	return ws
}

// probe asks p what it waits on and waits for the answer until deadline.
func (t *Transport) probe(p *peer, deadline time.Time) ([]waits.Wait, bool) {
	if p == nil || p.left.Load() || !p.lockBefore(deadline) {
		return nil, false
	}
	select {
	case <-p.probeReply: // a late answer to an earlier probe
	default:
	}
	p.conn.SetWriteDeadline(deadline)
	_, err := p.conn.Write(appendControl(nil, kindProbe, t.rank, nil))
	p.wmu.Unlock()
	if err != nil {
		return nil, false
	}

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case ws := <-p.probeReply:
		return ws, true
	case <-timer.C:
		return nil, false
	case <-t.done:
		return nil, false
	}
}

// answerProbe tells p what this member waits on. It runs on p's reader.
func (p *peer) answerProbe() {
	deadline := time.Now().Add(controlTimeout)
	if !p.lockBefore(deadline) {
		return
	}
	defer p.wmu.Unlock()
	p.conn.SetWriteDeadline(deadline)
	p.conn.Write(appendControl(nil, kindWaits, p.t.rank, encodeWaits(p.t.waits())))
}

// lockBefore takes the write lock, giving up at deadline: a send that
// holds it is itself bounded by the I/O timeout, so this only fails when
// the connection is stuck too.
func (p *peer) lockBefore(deadline time.Time) bool {
	for !p.wmu.TryLock() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Microsecond)
	}
	return true
}

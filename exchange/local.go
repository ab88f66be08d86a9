package exchange

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mariana-dl/mariana/exchange/internal/vec"
	"github.com/mariana-dl/mariana/exchange/internal/waits"
)

// LocalGroup is an exchange group of devices in one process. Its members
// pass slices, not copies: a send hands the sender's slice to the
// receiver, which copies or adds it straight into its own buffer and then
// lets the sender go on. So a value crosses memory once per hop, as it
// would cross a PCIe link once.
type LocalGroup struct {
	n       int
	timeout time.Duration
	pairs   []localPair // pairs[from*n+to]
	members []*Local

	done     chan struct{}
	failOnce sync.Once
	err      error // set before done is closed
}

// localPair is the one-way channel between two members, with the state
// its single sender and single receiver reuse for every message.
type localPair struct {
	ch  chan *localMsg
	msg localMsg

	sendMu, recvMu       sync.Mutex
	sendTimer, recvTimer *time.Timer

	// sendSince and recvSince are when the current send or receive
	// started waiting, in Unix nanoseconds, or 0: who waits on whom,
	// for timeout errors.
	sendSince, recvSince atomic.Int64
}

// localMsg is a message in flight: the receiver reads data and answers on
// ack when it no longer needs it.
type localMsg struct {
	tag  uint64
	data []float32
	ack  chan error
}

// NewLocalGroup makes a group of n in-process members. With timeout > 0
// a member that waits longer than timeout for a peer to send or to
// receive fails the group with ErrTimeout naming the member that holds it
// up: the peer, or the member at the end of the chain of members the peer
// waits on. With timeout 0 members wait for ever, and a stuck device
// hangs its peers.
func NewLocalGroup(n int, timeout time.Duration) (*LocalGroup, error) {
	if n < 1 {
		return nil, configErrorf("group of %d members, want at least 1", n)
	}
	if timeout < 0 {
		return nil, configErrorf("timeout %v is negative", timeout)
	}

	g := &LocalGroup{
		n:       n,
		timeout: timeout,
		pairs:   make([]localPair, n*n),
		members: make([]*Local, n),
		done:    make(chan struct{}),
	}
	for i := range g.pairs {
		p := &g.pairs[i]
		p.ch = make(chan *localMsg)
		p.msg.ack = make(chan error, 1)
		if timeout > 0 {
			p.sendTimer = stoppedTimer()
			p.recvTimer = stoppedTimer()
		}
	}
	for r := range g.members {
		g.members[r] = &Local{g: g, rank: r}
	}
	return g, nil
}

// Member returns the transport of member rank.
func (g *LocalGroup) Member(rank int) *Local { return g.members[rank] }

// Close closes the group: every member's blocked and later operations
// return ErrClosed.
func (g *LocalGroup) Close() error {
	g.fail(ErrClosed)
	return nil
}

// fail records the group's first error and wakes every blocked operation.
// It returns the error that stands.
func (g *LocalGroup) fail(err error) error {
	g.failOnce.Do(func() {
		g.err = err
		close(g.done)
	})
	return g.err
}

// failed returns the group's error, or nil while it works.
func (g *LocalGroup) failed() error {
	select {
	case <-g.done:
		return g.err
	default:
		return nil
	}
}

// Local is one member's end of a LocalGroup. It implements Transport.
type Local struct {
	g        *LocalGroup
	rank     int
	counters Counters
}

// Rank is this member's rank.
func (l *Local) Rank() int { return l.rank }

// Size is the number of members of the group.
func (l *Local) Size() int { return l.g.n }

// Close closes the whole group: a device cannot leave a group of one
// process and let the others go on.
func (l *Local) Close() error { return l.g.Close() }

// Send hands data to member to and waits until it has been received.
func (l *Local) Send(to int, tag uint64, data []float32) error {
	g := l.g
	if err := l.checkPeer(to, "send"); err != nil {
		return err
	}
	start := time.Now()
	p := &g.pairs[l.rank*g.n+to]
	p.sendMu.Lock()
	defer p.sendMu.Unlock()

	m := &p.msg
	m.tag, m.data = tag, data
	timeout := startTimer(p.sendTimer, g.timeout)
	p.sendSince.Store(start.UnixNano())
	select {
	case p.ch <- m:
		p.sendSince.Store(0)
		stopTimer(p.sendTimer)
	case <-g.done:
		p.sendSince.Store(0)
		stopTimer(p.sendTimer)
		return g.err
	case <-timeout:
		return g.fail(g.stuck(l.rank, to, "send", "message not taken"))
	}

	// The receiver owns the message now and always answers, promptly:
	// it only copies or adds. Waiting for the answer without watching
	// done keeps data untouched until the receiver is finished with it.
	if err := <-m.ack; err != nil {
		return err
	}
	l.counters.AddSend(4*len(data), time.Since(start))
	return nil
}

// Recv copies the next message from member from into dst.
func (l *Local) Recv(from int, tag uint64, dst []float32) error {
	return l.recv(from, tag, dst, false)
}

// RecvAdd adds the next message from member from to dst.
func (l *Local) RecvAdd(from int, tag uint64, dst []float32) error {
	return l.recv(from, tag, dst, true)
}

func (l *Local) recv(from int, tag uint64, dst []float32, add bool) error {
	g := l.g
	if err := l.checkPeer(from, "recv"); err != nil {
		return err
	}
	start := time.Now()
	p := &g.pairs[from*g.n+l.rank]
	p.recvMu.Lock()
	defer p.recvMu.Unlock()

	var m *localMsg
	timeout := startTimer(p.recvTimer, g.timeout)
	p.recvSince.Store(start.UnixNano())
	select {
	case m = <-p.ch:
		p.recvSince.Store(0)
		stopTimer(p.recvTimer)
	case <-g.done:
		p.recvSince.Store(0)
		stopTimer(p.recvTimer)
		return g.err
	case <-timeout:
		return g.fail(g.stuck(l.rank, from, "recv", "no message"))
	}

	if m.tag != tag || len(m.data) != len(dst) {
		err := g.fail(&PeerError{Rank: from, Op: "recv", Err: fmt.Errorf(
			"%w: message of tag %#x with %d values, want tag %#x with %d",
			ErrProtocol, m.tag, len(m.data), tag, len(dst))})
		m.ack <- err
		return err
	}
	if add {
		vec.Add(dst, m.data)
	} else {
		copy(dst, m.data)
	}
	m.ack <- nil
	l.counters.AddRecv(4*len(dst), time.Since(start))
	return nil
}

// stuck is the error of member self that waited the group's timeout on
// peer: it names the member at the end of the chain of waits that starts
// at peer, which is the one holding the group up.
func (g *LocalGroup) stuck(self, peer int, op, what string) error {
	path, v := waits.Walk(self, peer, g.timeout, g.waitsOf)
	culprit := path[len(path)-1]
	return &PeerError{Rank: culprit, Op: op, Err: fmt.Errorf("%w: %s within %v; %s",
		ErrTimeout, what, g.timeout, waits.Describe(path, v))}
}

// waitsOf lists what member r waits on now, longest first.
func (g *LocalGroup) waitsOf(r int) ([]waits.Wait, bool) {
	now := time.Now().UnixNano()
	var ws []waits.Wait
	for peer := 0; peer < g.n; peer++ {
		if peer == r {
			continue
		}
		for _, since := range []int64{
			g.pairs[r*g.n+peer].sendSince.Load(),
			g.pairs[peer*g.n+r].recvSince.Load(),
		} {
			if since != 0 {
				ws = append(ws, waits.Wait{Rank: peer, For: time.Duration(now - since)})
			}
		}
	}
	slices.SortFunc(ws, func(a, b waits.Wait) int { return cmp.Compare(b.For, a.For) })
	return ws, true
}

// checkPeer fails when the group has failed or peer is not another member.
func (l *Local) checkPeer(peer int, op string) error {
	if err := l.g.failed(); err != nil {
		return err
	}
	if peer < 0 || peer >= l.g.n || peer == l.rank {
		return fmt.Errorf("%w: rank %d %s with rank %d in a group of %d",
			ErrConfig, l.rank, op, peer, l.g.n)
	}
	return nil
}

// Stats returns this member's counters.
func (l *Local) Stats() Stats { return l.counters.Stats() }

// stoppedTimer returns a timer that has not been started, to be reused
// with startTimer and stopTimer.
func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

// startTimer starts t for d and returns its channel; with a nil t it
// returns nil, a channel that never fires.
func startTimer(t *time.Timer, d time.Duration) <-chan time.Time {
	if t == nil {
		return nil
	}
	t.Reset(d)
	return t.C
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

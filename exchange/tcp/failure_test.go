package tcp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

// peerError returns err's PeerError, failing t when there is none.
func peerError(t *testing.T, err error) *exchange.PeerError {
	t.Helper()
	var pe *exchange.PeerError
	if !errors.As(err, &pe) {
		t.Fatalf("%v (%T) is not a PeerError", err, err)
	}
	return pe
}

// mustName fails t unless err is a PeerError blaming rank at addr, and
// its message says so.
func mustName(t *testing.T, err error, rank int, addr string) {
	t.Helper()
	pe := peerError(t, err)
	if pe.Rank != rank || pe.Addr != addr {
		t.Errorf("error blames rank %d at %s, want rank %d at %s: %v",
			pe.Rank, pe.Addr, rank, addr, err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "exchange: ") || !strings.Contains(msg, addr) {
		t.Errorf("message %q does not start with \"exchange: \" and name %s", msg, addr)
	}
}

func TestHandshakeRefusesOtherJob(t *testing.T) {
	cfgs := groupConfigs(t, 2, time.Second)
	cfgs[0].JobID, cfgs[1].JobID = "alpha", "beta"
	cfgs[0].DialTimeout = 500 * time.Millisecond
	_, errs := connectAll(cfgs)

	// The dialer is refused at once, with the acceptor's reason.
	if !errors.Is(errs[1], exchange.ErrHandshake) {
		t.Fatalf("rank 1: %v, want ErrHandshake", errs[1])
	}
	mustName(t, errs[1], 0, cfgs[0].Addrs[0])
	for _, want := range []string{`job "alpha"`, `job "beta"`} {
		if !strings.Contains(errs[1].Error(), want) {
			t.Errorf("rank 1: %q does not mention %s", errs[1], want)
		}
	}

	// The acceptor waits for a rank 1 of its own job, then names it and
	// the refusal.
	if !errors.Is(errs[0], exchange.ErrTimeout) || !strings.Contains(errs[0].Error(), "refused 1") {
		t.Fatalf("rank 0: %v, want a timeout that reports the refusal", errs[0])
	}
	mustName(t, errs[0], 1, cfgs[0].Addrs[1])
}

func TestHandshakeRefusesOtherGroup(t *testing.T) {
	cfgs := groupConfigs(t, 3, time.Second)
	for r := range cfgs {
		cfgs[r].DialTimeout = 500 * time.Millisecond
	}

	// Rank 2's address list swaps ranks 0 and 1: it reaches rank 1 when
	// it means rank 0, and the other way round.
	swapped := []string{cfgs[0].Addrs[1], cfgs[0].Addrs[0], cfgs[0].Addrs[2]}
	cfgs[2].Addrs = swapped
	_, errs := connectAll(cfgs)
	if !errors.Is(errs[2], exchange.ErrHandshake) ||
		!strings.Contains(errs[2].Error(), "address lists differ") {
		t.Fatalf("rank 2: %v, want a refusal over the address lists", errs[2])
	}

	// A member that believes the group has 3 members meets one that
	// believes 2.
	cfgs = groupConfigs(t, 3, time.Second)
	cfgs[0].Addrs = cfgs[0].Addrs[:2]
	cfgs[0].DialTimeout = 500 * time.Millisecond
	cfgs[1].DialTimeout = 500 * time.Millisecond
	cfgs[2].DialTimeout = 500 * time.Millisecond
	_, errs = connectAll(cfgs)
	if !errors.Is(errs[1], exchange.ErrHandshake) ||
		!strings.Contains(errs[1].Error(), "group of 2") {
		t.Fatalf("rank 1: %v, want a refusal over the group size", errs[1])
	}
}

func TestDialTimeoutNamesPeer(t *testing.T) {
	lns, addrs := listeners(t, 2)
	lns[0].Close() // nobody listens for rank 0
	start := time.Now()
	_, err := Connect(context.Background(), Config{Rank: 1, Addrs: addrs, Listener: lns[1],
		DialTimeout: 300 * time.Millisecond})
	if !errors.Is(err, exchange.ErrTimeout) {
		t.Fatalf("%v, want ErrTimeout", err)
	}
	mustName(t, err, 0, addrs[0])
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Fatalf("gave up after %v, before the dial timeout", waited)
	}
}

// TestStuckPeerTimesOut has the last member of a chain of four connect
// and then never take part. Only rank 1 has a short timeout, and it only
// waits on rank 2, which waits on rank 3: by probing who waits on whom it
// finds that rank 3 holds the group up. The others, and rank 3 itself,
// hear of it from rank 1.
func TestStuckPeerTimesOut(t *testing.T) {
	paths(t, func(t *testing.T, noShm bool) {
		const n, stuck = 4, 3
		cfgs := withShm(groupConfigs(t, n, 30*time.Second), noShm)
		cfgs[1].IOTimeout = 300 * time.Millisecond
		ts := connectGroup(t, cfgs)

		results := make([]error, n-1)
		var wg sync.WaitGroup
		for r := range n - 1 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := exchange.New(ts[r], exchange.Config{Algorithm: exchange.Chain})
				if err != nil {
					results[r] = err
					return
				}
				defer c.Close()
				results[r] = c.AllReduce(make([]float32, 1000))
			}()
		}
		wg.Wait()

		for r, err := range results {
			if !errors.Is(err, exchange.ErrTimeout) {
				t.Fatalf("rank %d: %v, want ErrTimeout", r, err)
			}
			mustName(t, err, stuck, cfgs[0].Addrs[stuck])
			t.Logf("rank %d: %v", r, err)
		}
		if !strings.Contains(results[1].Error(), "(rank 1 waits on 2, 2 on 3)") {
			t.Errorf("rank 1: %v, want the chain of waits", results[1])
		}
		for _, r := range []int{0, 2} {
			if !errors.Is(results[r], exchange.ErrAborted) {
				t.Errorf("rank %d: %v, want the failure reported by rank 1", r, results[r])
			}
		}

		// The stuck member learns that it was given up on.
		err := ts[stuck].Recv(0, 1, make([]float32, 1))
		if !errors.Is(err, exchange.ErrAborted) {
			t.Fatalf("rank %d: %v, want ErrAborted", stuck, err)
		}
	})
}

// fakePeer dials a real rank 0 as rank 1 of a group of two and performs
// the handshake, shared-memory setup included, by hand, so that the test
// can then write any bytes.
func fakePeer(t *testing.T, addrs []string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addrs[0])
	if err != nil {
		t.Fatal(err)
	}
	hi := hello{size: 2, target: 0, job: "test"}
	if _, err := conn.Write(appendControl(nil, kindHello, 1, hi.encode())); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	h, _, err := readControl(br)
	if err != nil || h.kind != kindHello {
		t.Fatalf("handshake: %v frame, %v", h.kind, err)
	}
	if _, err := conn.Write(appendControl(nil, kindReady, 1, nil)); err != nil {
		t.Fatal(err)
	}

	// It offers no ring and declines rank 0's, so data frames travel
	// over the connection both ways.
	if _, err := conn.Write(appendControl(nil, kindShmOffer, 1, nil)); err != nil {
		t.Fatal(err)
	}
	if _, err := readSetup(br, kindShmOffer, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(appendControl(nil, kindShmAnswer, 1, []byte{0})); err != nil {
		t.Fatal(err)
	}
	if _, err := readSetup(br, kindShmAnswer, 0); err != nil {
		t.Fatal(err)
	}
	return conn, br
}

func TestCorruptFrameNamesPeer(t *testing.T) {
	cfgs := groupConfigs(t, 2, 5*time.Second)
	cfgs[1].Listener.Close()
	done := make(chan struct{})
	var tr *Transport
	var err error
	go func() {
		defer close(done)
		tr, err = Connect(context.Background(), cfgs[0])
	}()
	conn, br := fakePeer(t, cfgs[0].Addrs)
	defer conn.Close()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()

	// One bit of the payload flips after the checksum was computed.
	frame := dataFrame(1, 5, []float32{1, 2, 3, 4})
	frame[headerLen+9] ^= 0x04
	if _, err := conn.Write(frame); err != nil {
		t.Fatal(err)
	}
	err = tr.Recv(1, 5, make([]float32, 4))
	if !errors.Is(err, exchange.ErrChecksum) || !strings.Contains(err.Error(), "CRC-32C") {
		t.Fatalf("%v, want a checksum error", err)
	}
	mustName(t, err, 1, cfgs[0].Addrs[1])

	// The sender is told why the group stopped.
	h, payload, err := readControl(br)
	if err != nil || h.kind != kindAbort {
		t.Fatalf("after the damaged frame the peer got a %v frame, %v; want abort", h.kind, err)
	}
	a, err := parseAbort(payload)
	if err != nil || a.culprit != 1 || codes[a.code] != exchange.ErrChecksum {
		t.Fatalf("abort %+v, %v; want rank 1 blamed for a checksum", a, err)
	}
}

// TestMismatchedOperationsFail has the members exchange buffers of
// different lengths: the transport refuses to mix them up.
func TestMismatchedOperationsFail(t *testing.T) {
	paths(t, func(t *testing.T, noShm bool) {
		ts := newGroup(t, 2, 5*time.Second, noShm)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for r, n := range []int{100, 101} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, _ := exchange.New(ts[r], exchange.Config{Algorithm: exchange.Central})
				defer c.Close()
				errs[r] = c.AllReduce(make([]float32, n))
			}()
		}
		wg.Wait()
		if !errors.Is(errs[0], exchange.ErrProtocol) {
			t.Fatalf("rank 0: %v, want ErrProtocol", errs[0])
		}
		mustName(t, errs[0], 1, ts[0].addrs[1])
		if errs[1] == nil {
			t.Fatal("rank 1 succeeded")
		}
	})
}

func TestCloseUnblocksEveryone(t *testing.T) {
	paths(t, func(t *testing.T, noShm bool) {
		ts := newGroup(t, 2, 30*time.Second, noShm)
		errs := make(chan error, 2)
		for r := range 2 {
			go func() { errs <- ts[r].Recv(1-r, 1, make([]float32, 3)) }()
		}
		time.Sleep(20 * time.Millisecond) // let both block; the result is the same if not
		ts[0].Close()

		var closed, left int
		for range 2 {
			err := <-errs
			switch {
			case errors.Is(err, exchange.ErrClosed):
				closed++
			case errors.Is(err, exchange.ErrPeerClosed):
				left++
				mustName(t, err, 0, ts[0].addrs[0])
			default:
				t.Fatalf("unexpected %v", err)
			}
		}
		if closed != 1 || left != 1 {
			t.Fatalf("%d ErrClosed and %d ErrPeerClosed, want one each", closed, left)
		}
		if err := ts[1].Send(0, 1, []float32{1}); err == nil {
			t.Fatal("send to a member that left succeeded")
		}
	})
}

// TestSendToStuckPeerTimesOut sends far more than the receiver buffers to
// a member that never receives: the send fails within the timeout,
// naming it, instead of blocking for ever.
func TestSendToStuckPeerTimesOut(t *testing.T) {
	paths(t, func(t *testing.T, noShm bool) {
		ts := newGroup(t, 2, 300*time.Millisecond, noShm)
		err := ts[0].Send(1, 1, make([]float32, 16<<20))
		if !errors.Is(err, exchange.ErrTimeout) {
			t.Fatalf("%v, want ErrTimeout", err)
		}
		mustName(t, err, 1, ts[0].addrs[1])
		t.Log(err)
	})
}

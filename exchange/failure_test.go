package exchange_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

// runMembers calls fn for the given ranks at once and returns their errors.
func runMembers(ranks []int, fn func(r int) error) map[int]error {
	errs := make(map[int]error)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range ranks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := fn(r)
			mu.Lock()
			errs[r] = err
			mu.Unlock()
		}()
	}
	wg.Wait()
	return errs
}

// TestLocalStuckMemberTimesOut leaves the last device of a chain out of
// the exchange: the others fail within the group's timeout, all naming
// it, even those that only wait on a neighbour that waits on it.
func TestLocalStuckMemberTimesOut(t *testing.T) {
	const n, stuck = 4, 3
	g, err := exchange.NewLocalGroup(n, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	errs := runMembers([]int{0, 1, 2}, func(r int) error {
		c, err := exchange.New(g.Member(r), exchange.Config{Algorithm: exchange.Chain})
		if err != nil {
			return err
		}
		defer c.Close()
		return c.AllReduce(make([]float32, 30))
	})
	for r, err := range errs {
		var pe *exchange.PeerError
		if !errors.Is(err, exchange.ErrTimeout) || !errors.As(err, &pe) || pe.Rank != stuck {
			t.Errorf("rank %d: %v, want a timeout naming rank %d", r, err, stuck)
			continue
		}
		if !strings.HasPrefix(err.Error(), "exchange: rank 3: ") ||
			!strings.Contains(err.Error(), "rank 3 takes no part") {
			t.Errorf("rank %d: message %q", r, err)
		}
	}
	t.Log(errs[0])

	// The group stays failed: the stuck device gets the same error.
	if err := g.Member(stuck).Send(0, 1, []float32{1}); !errors.Is(err, exchange.ErrTimeout) {
		t.Errorf("rank %d after the failure: %v", stuck, err)
	}
}

func TestLocalCloseUnblocksEveryone(t *testing.T) {
	g, err := exchange.NewLocalGroup(3, 0)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 3)
	go func() { errs <- g.Member(0).Recv(1, 1, make([]float32, 1)) }()
	go func() { errs <- g.Member(1).Send(2, 1, make([]float32, 1)) }()
	go func() { errs <- g.Member(2).RecvAdd(0, 1, make([]float32, 1)) }()
	time.Sleep(10 * time.Millisecond) // let them block; the result is the same if not
	g.Member(1).Close()
	for range 3 {
		if err := <-errs; !errors.Is(err, exchange.ErrClosed) {
			t.Fatalf("%v, want ErrClosed", err)
		}
	}
}

func TestLocalMismatchedLengthsFail(t *testing.T) {
	g, err := exchange.NewLocalGroup(2, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	errs := runMembers([]int{0, 1}, func(r int) error {
		if r == 0 {
			return g.Member(0).Send(1, 4, make([]float32, 5))
		}
		return g.Member(1).Recv(0, 4, make([]float32, 6))
	})
	for r, err := range errs {
		if !errors.Is(err, exchange.ErrProtocol) {
			t.Errorf("rank %d: %v, want ErrProtocol", r, err)
		}
	}
	if !strings.Contains(errs[1].Error(), "5 values, want tag 0x4 with 6") {
		t.Errorf("message %q does not give both lengths", errs[1])
	}
}

// TestUpdateErrorStopsGroup: an owner whose update fails closes the
// group, so the others fail instead of waiting for its partition.
func TestUpdateErrorStopsGroup(t *testing.T) {
	g, err := exchange.NewLocalGroup(3, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	boom := errors.New("loss is NaN")
	errs := runMembers([]int{0, 1, 2}, func(r int) error {
		c, err := exchange.New(g.Member(r), exchange.Config{Algorithm: exchange.Ring})
		if err != nil {
			return err
		}
		defer c.Close()
		return c.Exchange(make([]float32, 9), func(part exchange.Range, data []float32) error {
			if r == 1 {
				return boom
			}
			return nil
		})
	})
	if !errors.Is(errs[1], boom) || !strings.Contains(errs[1].Error(), "partition [3, 6)") {
		t.Errorf("rank 1: %v", errs[1])
	}
	for _, r := range []int{0, 2} {
		if !errors.Is(errs[r], exchange.ErrClosed) {
			t.Errorf("rank %d: %v, want ErrClosed", r, errs[r])
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	g, err := exchange.NewLocalGroup(3, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, cfg := range []exchange.Config{
		{Algorithm: "butterfly"},
		{Order: []int{0, 1}},
		{Order: []int{0, 1, 1}},
		{Order: []int{0, 1, 3}},
	} {
		if _, err := exchange.New(g.Member(0), cfg); !errors.Is(err, exchange.ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := exchange.NewLocalGroup(0, 0); !errors.Is(err, exchange.ErrConfig) {
		t.Errorf("group of 0: %v", err)
	}
	if err := g.Member(0).Send(0, 1, nil); !errors.Is(err, exchange.ErrConfig) {
		t.Errorf("send to self: %v", err)
	}
}

// TestQueueFailureIsSticky: once an exchange of a queue fails, it and
// every later one report the failure, and earlier ones keep success.
func TestQueueFailureIsSticky(t *testing.T) {
	g, err := exchange.NewLocalGroup(2, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	boom := errors.New("bad update")
	errs := runMembers([]int{0, 1}, func(r int) error {
		c, err := exchange.New(g.Member(r), exchange.Config{})
		if err != nil {
			return err
		}
		defer c.Close()
		q := exchange.NewQueue(c, 1)
		ok := q.Start(make([]float32, 4), nil)
		bad := q.Start(make([]float32, 4), func(exchange.Range, []float32) error {
			if r == 0 {
				return boom
			}
			return nil
		})
		after := q.Start(make([]float32, 4), nil)
		if err := ok.Wait(); err != nil {
			t.Errorf("rank %d: first exchange: %v", r, err)
		}
		if err := bad.Wait(); err == nil {
			t.Errorf("rank %d: failing exchange succeeded", r)
		}
		if err := after.Wait(); err == nil {
			t.Errorf("rank %d: exchange after the failure succeeded", r)
		}
		qerr := q.Close()
		if h := q.Start(nil, nil); !errors.Is(h.Wait(), exchange.ErrClosed) {
			t.Errorf("rank %d: start after close: %v", r, h.Wait())
		}
		return qerr
	})
	if !errors.Is(errs[0], boom) {
		t.Errorf("rank 0: %v", errs[0])
	}
	if !errors.Is(errs[1], exchange.ErrClosed) {
		t.Errorf("rank 1: %v", errs[1])
	}
}

// TestRingCounters checks the counters against the bytes a ring must
// move: each member sends every partition but its own during
// reduce-scatter and every partition but the next member's during
// all-gather.
func TestRingCounters(t *testing.T) {
	const n, size = 4, 1003
	g, err := exchange.NewLocalGroup(n, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	colls := make([]exchange.Collective, n)
	for r := range colls {
		colls[r], _ = exchange.New(g.Member(r), exchange.Config{Algorithm: exchange.Ring})
		defer colls[r].Close()
	}
	runMembers([]int{0, 1, 2, 3}, func(r int) error {
		return colls[r].AllReduce(make([]float32, size))
	})

	parts := colls[0].Partitions(size)
	for r := range n {
		want := 4 * uint64(2*size-parts[r].Len()-parts[(r+1)%n].Len())
		s := g.Member(r).Stats()
		if s.BytesSent != want || s.MessagesSent != 2*(n-1) {
			t.Errorf("rank %d sent %d bytes in %d messages, want %d in %d",
				r, s.BytesSent, s.MessagesSent, want, 2*(n-1))
		}
		if s.BytesReceived == 0 || s.RecvTime <= 0 {
			t.Errorf("rank %d stats %+v", r, s)
		}
	}
}

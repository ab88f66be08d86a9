package tcp

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/exchangetest"
)

// listeners binds n loopback ports and returns them with their addresses.
func listeners(t testing.TB, n int) ([]net.Listener, []string) {
	t.Helper()
	lns := make([]net.Listener, n)
	addrs := make([]string, n)
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i], addrs[i] = ln, ln.Addr().String()
	}
	return lns, addrs
}

// connectAll connects a group of len(cfgs) members at once, one goroutine
// each, and returns their transports and errors by rank.
func connectAll(cfgs []Config) ([]*Transport, []error) {
	ts := make([]*Transport, len(cfgs))
	errs := make([]error, len(cfgs))
	var wg sync.WaitGroup
	for r := range cfgs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts[r], errs[r] = Connect(context.Background(), cfgs[r])
		}()
	}
	wg.Wait()
	return ts, errs
}

// groupConfigs returns the configurations of an n-member loopback group.
func groupConfigs(t testing.TB, n int, io time.Duration) []Config {
	lns, addrs := listeners(t, n)
	cfgs := make([]Config, n)
	for r := range cfgs {
		cfgs[r] = Config{Rank: r, Addrs: addrs, JobID: "test", Listener: lns[r],
			DialTimeout: 10 * time.Second, IOTimeout: io}
	}
	return cfgs
}

// newGroup connects an n-member loopback group that t closes at the end.
func newGroup(t testing.TB, n int, io time.Duration) []*Transport {
	t.Helper()
	ts, errs := connectAll(groupConfigs(t, n, io))
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	t.Cleanup(func() {
		for _, tr := range ts {
			tr.Close()
		}
	})
	return ts
}

func TestConformance(t *testing.T) {
	exchangetest.Run(t, func(t testing.TB, n int) []exchange.Transport {
		ts := newGroup(t, n, 10*time.Second)
		out := make([]exchange.Transport, n)
		for r, tr := range ts {
			out[r] = tr
		}
		return out
	}, 5)
}

// TestLargeMessagesInFrames sends messages longer than a frame, in both
// directions at once, so that frames of two messages are in flight on
// each connection and TCP flow control is exercised.
func TestLargeMessagesInFrames(t *testing.T) {
	cfgs := groupConfigs(t, 2, 10*time.Second)
	for r := range cfgs {
		cfgs[r].FrameBytes = 4096
	}
	ts, errs := connectAll(cfgs)
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
		defer ts[r].Close()
	}

	const n = 300_001 // 1.2 MB: about 293 frames
	msgs := [2][]float32{make([]float32, n), make([]float32, n)}
	for i := range n {
		msgs[0][i], msgs[1][i] = float32(i), -float32(i)/3
	}
	var wg sync.WaitGroup
	got := [2][]float32{make([]float32, n), make([]float32, n)}
	errc := make(chan error, 4)
	for r := range 2 {
		wg.Add(2)
		go func() { defer wg.Done(); errc <- ts[r].Send(1-r, 9, msgs[r]) }()
		go func() {
			defer wg.Done()
			for i := range got[r] {
				got[r][i] = 1
			}
			errc <- ts[r].RecvAdd(1-r, 9, got[r])
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	for r := range 2 {
		for i, v := range got[r] {
			if want := 1 + msgs[1-r][i]; v != want {
				t.Fatalf("rank %d value %d = %v, want %v", r, i, v, want)
			}
		}
		s := ts[r].Stats()
		if s.BytesSent != 4*n || s.BytesReceived != 4*n || s.MessagesSent != 1 {
			t.Errorf("rank %d stats %+v, want %d bytes each way in one message", r, s, 4*n)
		}
	}
}

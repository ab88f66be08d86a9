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

// newGroup connects an n-member loopback group that t closes at the end,
// with shared memory unless noShm.
func newGroup(t testing.TB, n int, io time.Duration, noShm bool) []*Transport {
	t.Helper()
	return connectGroup(t, withShm(groupConfigs(t, n, io), noShm))
}

// withShm turns shared memory off in cfgs if noShm, and returns them.
func withShm(cfgs []Config, noShm bool) []Config {
	for r := range cfgs {
		cfgs[r].NoSharedMemory = noShm
	}
	return cfgs
}

// connectGroup connects the group of cfgs, which t closes at the end. It
// fails t unless every pair uses shared memory both ways where cfgs ask
// for it and the platform has it, and TCP otherwise: a test of either
// path must not pass on the other.
func connectGroup(t testing.TB, cfgs []Config) []*Transport {
	t.Helper()
	ts, errs := connectAll(cfgs)
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
	for r, tr := range ts {
		for q := range ts {
			want := q != r && shmSupported && !cfgs[r].NoSharedMemory && !cfgs[q].NoSharedMemory
			if send, recv := tr.SharedMemory(q); send != want || recv != want {
				t.Fatalf("rank %d with rank %d: shared memory to %v, from %v; want %v",
					r, q, send, recv, want)
			}
		}
	}
	return ts
}

// paths runs f once over shared memory and once over TCP data frames.
func paths(t *testing.T, f func(t *testing.T, noShm bool)) {
	t.Run("shm", func(t *testing.T) {
		if !shmSupported {
			t.Skip("no shared memory on this platform")
		}
		f(t, false)
	})
	t.Run("tcp", func(t *testing.T) { f(t, true) })
}

func TestConformance(t *testing.T) {
	paths(t, func(t *testing.T, noShm bool) {
		exchangetest.Run(t, func(t testing.TB, n int) []exchange.Transport {
			return transports(newGroup(t, n, 10*time.Second, noShm))
		}, 5)
	})
}

// TestLargeMessagesInFrames sends messages longer than a frame, in both
// directions at once, so that frames of two messages are in flight on
// each connection and TCP flow control is exercised.
func TestLargeMessagesInFrames(t *testing.T) {
	cfgs := withShm(groupConfigs(t, 2, 10*time.Second), true)
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

package tcp

import (
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/exchangetest"
)

func transports(ts []*Transport) []exchange.Transport {
	out := make([]exchange.Transport, len(ts))
	for r, tr := range ts {
		out[r] = tr
	}
	return out
}

// BenchmarkAllReduceTCP is an all-reduce between two members over
// loopback TCP data frames with the chain, by buffer size. GB/s is
// buffer bytes per second.
func BenchmarkAllReduceTCP(b *testing.B) {
	benchAllReduce(b, true)
}

// BenchmarkAllReduceShm is BenchmarkAllReduceTCP with the data in shared
// memory, as between two processes on one host.
func BenchmarkAllReduceShm(b *testing.B) {
	if !shmSupported {
		b.Skip("no shared memory on this platform")
	}
	benchAllReduce(b, false)
}

func benchAllReduce(b *testing.B, noShm bool) {
	group := transports(newGroup(b, 2, time.Minute, noShm))
	for _, size := range exchangetest.BenchSizes {
		b.Run(exchangetest.SizeName(size), func(b *testing.B) {
			exchangetest.BenchAllReduce(b, group, exchange.Config{}, size)
		})
	}
}

// TestAllReduceAllocations checks that exchanges do not allocate once
// the frames in circulation have been made, for messages of one frame
// and of several, and through shared memory for messages that fit the
// ring and that stream through it.
func TestAllReduceAllocations(t *testing.T) {
	paths(t, func(t *testing.T, noShm bool) {
		cfgs := withShm(groupConfigs(t, 3, 10*time.Second), noShm)
		for r := range cfgs {
			cfgs[r].RingBytes = MinRingBytes
		}
		group := transports(connectGroup(t, cfgs))
		for _, size := range []int{1000, 3 * DefaultFrameBytes / 4} {
			// Waits in futex system calls can make the runtime start a
			// thread, which allocates; a first round lets that happen
			// before the count (seen once, under -race on a busy machine).
			exchangetest.AllocsPerAllReduce(t, group, exchange.Config{}, size)
			allocs := exchangetest.AllocsPerAllReduce(t, group, exchange.Config{}, size)
			if allocs > 0 {
				t.Errorf("%d values: %.1f allocations per all-reduce, want 0", size, allocs)
			}
		}
	})
}

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
// loopback TCP with the chain, by buffer size. GB/s is buffer bytes per
// second.
func BenchmarkAllReduceTCP(b *testing.B) {
	group := transports(newGroup(b, 2, time.Minute))
	for _, size := range exchangetest.BenchSizes {
		b.Run(exchangetest.SizeName(size), func(b *testing.B) {
			exchangetest.BenchAllReduce(b, group, exchange.Config{}, size)
		})
	}
}

// TestAllReduceAllocations checks that exchanges over TCP do not
// allocate once the frames in circulation have been made, for messages
// of one frame and of several.
func TestAllReduceAllocations(t *testing.T) {
	group := transports(newGroup(t, 3, 10*time.Second))
	for _, size := range []int{1000, 3 * DefaultFrameBytes / 4} {
		allocs := exchangetest.AllocsPerAllReduce(t, group, exchange.Config{}, size)
		if allocs > 0 {
			t.Errorf("%d values: %.1f allocations per all-reduce, want 0", size, allocs)
		}
	}
}

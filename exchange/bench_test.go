package exchange_test

import (
	"fmt"
	"testing"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/exchangetest"
)

// BenchmarkAllReduceLocal is an all-reduce between two in-process
// devices with the chain, by buffer size. GB/s is buffer bytes per second.
func BenchmarkAllReduceLocal(b *testing.B) {
	for _, size := range exchangetest.BenchSizes {
		b.Run(exchangetest.SizeName(size), func(b *testing.B) {
			exchangetest.BenchAllReduce(b, newLocalGroup(b, 2), exchange.Config{}, size)
		})
	}
}

// TestAllReduceAllocations checks that a running exchange does not
// allocate, whatever the algorithm.
func TestAllReduceAllocations(t *testing.T) {
	for _, name := range exchange.Algorithms() {
		for _, ordered := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ordered=%v", name, ordered), func(t *testing.T) {
				cfg := exchange.Config{Algorithm: name, Ordered: ordered}
				allocs := exchangetest.AllocsPerAllReduce(t, newLocalGroup(t, 3), cfg, 1000)
				if allocs != 0 {
					t.Errorf("%.1f allocations per all-reduce, want 0", allocs)
				}
			})
		}
	}
}

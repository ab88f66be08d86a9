package exchangetest

import (
	"fmt"
	"testing"

	"github.com/mariana-dl/mariana/exchange"
)

// BenchSizes are the buffer sizes of the benchmarks, in float32 values:
// 1 KB to 16 MB.
var BenchSizes = []int{256, 4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}

// SizeName names a buffer of size values by its bytes: "1KB", "16MB".
func SizeName(size int) string {
	switch bytes := 4 * size; {
	case bytes >= 1<<20:
		return fmt.Sprintf("%dMB", bytes>>20)
	case bytes >= 1<<10:
		return fmt.Sprintf("%dKB", bytes>>10)
	default:
		return fmt.Sprintf("%dB", bytes)
	}
}

// BenchAllReduce measures all-reduces of size values over group: member
// 0 runs in the benchmark's goroutine, the others alongside, b.N times
// each. It reports GB/s of buffer.
func BenchAllReduce(b *testing.B, group []exchange.Transport, cfg exchange.Config, size int) {
	colls := make([]exchange.Collective, len(group))
	for r, tr := range group {
		c, err := exchange.New(tr, cfg)
		if err != nil {
			b.Fatal(err)
		}
		colls[r] = c
		defer c.Close()
	}
	bufs := make([][]float32, len(group))
	for r := range bufs {
		bufs[r] = make([]float32, size)
	}

	errs := make(chan error, len(group))
	for r := 1; r < len(group); r++ {
		go func() {
			for range b.N {
				if err := colls[r].AllReduce(bufs[r]); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	b.SetBytes(int64(4 * size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := colls[0].AllReduce(bufs[0]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	for r := 1; r < len(group); r++ {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(4*size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
}

// AllocsPerAllReduce returns member 0's average allocations per
// all-reduce of size values over group, after a first exchange that sets
// up every buffer.
func AllocsPerAllReduce(t testing.TB, group []exchange.Transport, cfg exchange.Config,
	size int) float64 {
	const runs = 20
	colls := make([]exchange.Collective, len(group))
	bufs := make([][]float32, len(group))
	for r, tr := range group {
		c, err := exchange.New(tr, cfg)
		if err != nil {
			t.Fatal(err)
		}
		colls[r] = c
		defer c.Close()
		bufs[r] = make([]float32, size)
	}
	errs := make(chan error, len(group))
	for r := 1; r < len(group); r++ {
		go func() {
			for range runs + 1 { // AllocsPerRun adds a warm-up run
				if err := colls[r].AllReduce(bufs[r]); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	var failed error
	allocs := testing.AllocsPerRun(runs, func() {
		if err := colls[0].AllReduce(bufs[0]); err != nil && failed == nil {
			failed = err
		}
	})
	for r := 1; r < len(group); r++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if failed != nil {
		t.Fatal(failed)
	}
	return allocs
}

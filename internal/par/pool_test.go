package par

import (
	"sync/atomic"
	"testing"
)

func TestPoolCoversEveryIndexOnce(t *testing.T) {
	for _, threads := range []int{1, 2, 3, 5} {
		p := NewPool(threads, nil)
		for _, n := range []int{0, 1, 2, 7, 100} {
			hits := make([]int32, n)
			seen := make([]int32, threads)
			p.For(n, func(w, lo, hi int) {
				atomic.AddInt32(&seen[w], 1)
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&hits[i], 1)
				}
			})
			for i, h := range hits {
				if h != 1 {
					t.Fatalf("threads=%d n=%d: index %d visited %d times", threads, n, i, h)
				}
			}
			total := int32(0)
			for _, s := range seen {
				total += s
			}
			if n > 1 && threads > 1 && int(total) != pieces(min(threads, n), n) {
				t.Fatalf("threads=%d n=%d: %d ranges, want %d", threads, n, total,
					pieces(min(threads, n), n))
			}
		}
		p.Close()
	}
}

func TestPoolRunsStartOnEveryWorkerAndDoesNotAllocate(t *testing.T) {
	var started atomic.Int32
	p := NewPool(3, func(int) { started.Add(1) })
	defer p.Close()

	sum := make([]int64, 3)
	body := func(w, lo, hi int) {
		for i := lo; i < hi; i++ {
			sum[w] += int64(i)
		}
	}
	p.For(1000, body)
	if started.Load() != 2 {
		t.Errorf("start ran %d times, want 2 (the caller is worker 0)", started.Load())
	}
	if total := sum[0] + sum[1] + sum[2]; total != 999*1000/2 {
		t.Errorf("sum %d, want %d", total, 999*1000/2)
	}
	if a := testing.AllocsPerRun(100, func() { p.For(1000, body) }); a != 0 {
		t.Errorf("For allocates %v times per call", a)
	}
}

func BenchmarkForDispatch(b *testing.B) {
	body := func(w, lo, hi int) {}
	b.Run("goroutines", func(b *testing.B) {
		for b.Loop() {
			For(2, 2, body)
		}
	})
	b.Run("pool", func(b *testing.B) {
		p := NewPool(2, nil)
		defer p.Close()
		for b.Loop() {
			p.For(2, body)
		}
	})
}

package par

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestForCoversEveryIndexOnce(t *testing.T) {
	for _, tc := range []struct{ threads, n int }{
		{1, 10}, {2, 10}, {3, 10}, {4, 3}, {8, 0}, {2, 1}, {5, 17},
	} {
		hits := make([]int32, tc.n)
		var calls atomic.Int32
		For(tc.threads, tc.n, func(w, lo, hi int) {
			calls.Add(1)
			if w < 0 || (tc.threads > 0 && w >= max(tc.threads, 1)) {
				t.Errorf("threads=%d n=%d: worker %d out of range", tc.threads, tc.n, w)
			}
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&hits[i], 1)
			}
		})
		for i, h := range hits {
			if h != 1 {
				t.Fatalf("threads=%d n=%d: index %d visited %d times", tc.threads, tc.n, i, h)
			}
		}
		want := 0
		if tc.n > 0 {
			want = pieces(min(max(tc.threads, 1), tc.n), tc.n)
		}
		if tc.threads <= 1 && tc.n > 0 {
			want = 1
		}
		if int(calls.Load()) != want {
			t.Errorf("threads=%d n=%d: %d calls, want %d", tc.threads, tc.n, calls.Load(), want)
		}
	}
}

// TestForBalancesASlowWorker holds worker 1 on its first range until the
// other workers have done every other range, which they can only do by
// taking worker 1's share: an equal split fixed in advance fails here
// (after a timeout instead of hanging).
func TestForBalancesASlowWorker(t *testing.T) {
	const threads, n = 2, 64
	for _, run := range []struct {
		name string
		loop func(fn func(w, lo, hi int))
	}{
		{"goroutines", func(fn func(w, lo, hi int)) { For(threads, n, fn) }},
		{"pool", func(fn func(w, lo, hi int)) {
			p := NewPool(threads, nil)
			defer p.Close()
			p.For(n, fn)
		}},
	} {
		t.Run(run.name, func(t *testing.T) {
			var others atomic.Int32
			heldFor := 0
			timedOut := false
			run.loop(func(w, lo, hi int) {
				if w != 1 || heldFor > 0 {
					others.Add(int32(hi - lo))
					return
				}
				heldFor = hi - lo
				deadline := time.Now().Add(5 * time.Second)
				for int(others.Load()) < n-heldFor {
					if time.Now().After(deadline) {
						timedOut = true
						return
					}
					time.Sleep(time.Millisecond)
				}
			})
			if heldFor >= n/threads {
				t.Errorf("worker 1's first range holds %d of %d iterations: a slow worker "+
					"keeps a whole share", heldFor, n)
			}
			if timedOut {
				t.Errorf("worker 1 held on %d iterations: the others did only %d of the "+
					"remaining %d", heldFor, others.Load(), n-heldFor)
			}
		})
	}
}

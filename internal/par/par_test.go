package par

import (
	"sync/atomic"
	"testing"
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
		if want := min(max(tc.threads, 1), tc.n); int(calls.Load()) != want {
			t.Errorf("threads=%d n=%d: %d calls, want %d", tc.threads, tc.n, calls.Load(), want)
		}
	}
}

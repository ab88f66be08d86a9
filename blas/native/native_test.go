package native

import (
	"fmt"
	"testing"

	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/blas/blastest"
)

func TestSgemm(t *testing.T) {
	for _, threads := range []int{1, 2, 3} {
		t.Run(fmt.Sprint("threads=", threads), func(t *testing.T) {
			blastest.TestSgemm(t, New(threads))
		})
	}
}

// TestSameBitsOnAnyThreads checks that a product's bits do not depend on
// the thread count.
func TestSameBitsOnAnyThreads(t *testing.T) {
	blastest.TestSameBits(t, New(1), New(2), New(3), New(4))
}

// TestSerialProductDoesNotAllocate checks the one-thread path, which layers
// call in their inner loops, for heap allocations once the workspace pool
// is warm.
func TestSerialProductDoesNotAllocate(t *testing.T) {
	impl := New(1)
	a := blas.Matrix(64, 300, make([]float32, 64*300))
	b := blas.Matrix(70, 300, make([]float32, 70*300))
	c := blas.Matrix(64, 70, make([]float32, 64*70))
	allocs := testing.AllocsPerRun(20, func() {
		impl.Sgemm(blas.NoTrans, blas.Trans, 1, a, b, 0, c)
	})
	if allocs != 0 {
		t.Errorf("one-thread Sgemm allocates %v times per call, want 0", allocs)
	}
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		m, n, k, threads int
		parts            int
		byRows           bool
	}{
		{512, 512, 512, 1, 1, true},
		{512, 512, 512, 2, 2, true},
		{4, 4, 4, 3, 1, true},       // too small to split
		{64, 64, 32, 2, 1, true},    // 262144 operations: one part's worth
		{64, 64, 64, 2, 2, true},    // two parts' worth
		{100, 300, 50, 2, 2, false}, // wider than tall: columns
		{300, 100, 50, 3, 3, true},  // taller than wide: rows
		{8, 1000, 100, 2, 2, false}, // one row granule
		{1000, 8, 100, 2, 2, true},  // one column granule
		{32, 48, 5000, 3, 3, false}, // 2 row granules, 3 column ones
		{1, 1, 1 << 20, 2, 1, true}, // a single element cannot split
	} {
		parts, byRows := plan(tc.m, tc.n, tc.k, tc.threads)
		if parts != tc.parts || byRows != tc.byRows {
			t.Errorf("plan(%d, %d, %d, %d) = %d, %v; want %d, %v", tc.m, tc.n, tc.k,
				tc.threads, parts, byRows, tc.parts, tc.byRows)
		}
	}
}

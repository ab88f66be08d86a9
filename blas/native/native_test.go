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

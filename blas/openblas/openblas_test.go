//go:build cgo

package openblas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
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

// TestConfigure checks the process-wide state New leaves behind, and logs
// the kernels in use (bench/gemm/gemm.sh reads the line).
func TestConfigure(t *testing.T) {
	New(1)
	core := Core()
	t.Logf("OpenBLAS core: %s, threading: %s, library: %s", core, Threading(), Library())
	if n := threadsInPool(); Threading() == "split" && n != 1 {
		t.Errorf("OpenBLAS pool has %d threads after New, want 1", n)
	}

	// On a CPU with AVX2 the generic fallback must have been replaced,
	// unless the user forced it.
	if os.Getenv("OPENBLAS_CORETYPE") != "" {
		return
	}
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("cannot read the CPU's features: %v", err)
	}
	flags := " " + strings.Join(strings.Fields(string(info)), " ") + " "
	if strings.Contains(flags, " avx2 ") && strings.Contains(flags, " fma ") &&
		(core == "" || core == "Prescott") {
		t.Errorf("OpenBLAS runs its %q kernels on a CPU with AVX2", core)
	}
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		m, n, k, threads int
		parts            int
		byRows           bool
	}{
		{1024, 1024, 1024, 1, 1, true},
		{1024, 1024, 1024, 2, 2, true},
		{1024, 1024, 1024, 3, 3, true},
		{16, 16, 16, 2, 1, true},       // too small to split
		{128, 128, 128, 2, 1, true},    // 4 MFLOP: one part's worth
		{128, 128, 256, 2, 2, true},    // 8 MFLOP: two parts
		{128, 128, 256, 3, 2, true},    // not enough work for three
		{1024, 784, 128, 2, 2, true},   // taller than wide: rows
		{128, 1024, 784, 2, 2, false},  // wider than tall: columns
		{16, 4096, 256, 2, 2, false},   // one row granule: columns
		{32, 1024, 784, 3, 3, false},   // 2 row granules, 64 column ones
		{1024, 10, 1024, 2, 2, true},   // one column granule: rows
		{40, 48, 20000, 3, 3, false},   // 3 granules each way: columns
		{20, 20, 20000, 4, 2, true},    // two granules either way
		{1, 1, 10_000_000, 2, 1, true}, // a single element cannot split
		{10, 1024, 1024, 2, 2, false},  // one row granule
		{2048, 16, 1024, 3, 3, true},   // one column granule
	} {
		parts, byRows := plan(tc.m, tc.n, tc.k, tc.threads)
		if parts != tc.parts || byRows != tc.byRows {
			t.Errorf("plan(%d, %d, %d, %d) = %d, %v; want %d, %v", tc.m, tc.n, tc.k,
				tc.threads, parts, byRows, tc.parts, tc.byRows)
		}
	}
}

// TestSeparateImplsRunTogether gives each of several goroutines its own
// one-thread Impl, as two devices of a machine have, and checks that the
// results are bit for bit those of the same products run one at a time:
// single-threaded OpenBLAS is deterministic, so any sharing of packing
// buffers or thread state between the calls would show as a difference.
func TestSeparateImplsRunTogether(t *testing.T) {
	const goroutines, rounds = 6, 200
	shapes := []struct{ m, n, k int }{{8, 8, 8}, {33, 17, 65}, {128, 256, 96}, {200, 64, 300},
		{256, 192, 320}}

	type job struct {
		tA, tB  blas.Transpose
		a, b    blas.General
		want    []float32
		m, n, k int
	}
	rng := rand.New(rand.NewPCG(1, 2))
	jobs := make([]job, 0, len(shapes)*4)
	serial := New(1)
	for _, s := range shapes {
		for _, tr := range [][2]blas.Transpose{{false, false}, {false, true}, {true, false},
			{true, true}} {
			j := job{tA: tr[0], tB: tr[1], m: s.m, n: s.n, k: s.k}
			j.a = randomMatrix(rng, s.m, s.k, j.tA)
			j.b = randomMatrix(rng, s.k, s.n, j.tB)
			c := blas.Matrix(s.m, s.n, make([]float32, s.m*s.n))
			serial.Sgemm(j.tA, j.tB, 1, j.a, j.b, 0, c)
			j.want = c.Data
			jobs = append(jobs, j)
		}
	}

	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Impls of one, two and three threads at once: in the OpenMP
			// build one threaded product runs on OpenBLAS's threads while
			// the others split or run alone, and none may disturb another.
			impl := New(1 + g%3)
			for r := range rounds {
				j := jobs[(g*7+r)%len(jobs)]
				c := blas.Matrix(j.m, j.n, make([]float32, j.m*j.n))
				impl.Sgemm(j.tA, j.tB, 1, j.a, j.b, 0, c)
				for i, v := range c.Data {
					if math.Float32bits(v) != math.Float32bits(j.want[i]) {
						errs[g] = fmt.Errorf("goroutine %d round %d, %dx%dx%d tA=%v tB=%v: "+
							"element %d is %g alone, %g alongside others", g, r, j.m, j.n,
							j.k, j.tA, j.tB, i, j.want[i], v)
						return
					}
				}
			}
		}()
	}
	wg.Wait()

	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

// TestSerialProductDoesNotAllocate checks the one-thread path, which layers
// call in their inner loops, for heap allocations.
func TestSerialProductDoesNotAllocate(t *testing.T) {
	impl := New(1)
	a := blas.Matrix(64, 64, make([]float32, 64*64))
	b := blas.Matrix(64, 64, make([]float32, 64*64))
	c := blas.Matrix(64, 64, make([]float32, 64*64))
	allocs := testing.AllocsPerRun(20, func() {
		impl.Sgemm(blas.NoTrans, blas.Trans, 1, a, b, 0, c)
	})
	if allocs != 0 {
		t.Errorf("one-thread Sgemm allocates %v times per call, want 0", allocs)
	}
}

// randomMatrix returns a dense rows×cols op-matrix with values in [-1, 1),
// stored transposed when trans is set.
func randomMatrix(rng *rand.Rand, rows, cols int, trans blas.Transpose) blas.General {
	if trans {
		rows, cols = cols, rows
	}
	g := blas.Matrix(rows, cols, make([]float32, rows*cols))
	for i := range g.Data {
		g.Data[i] = 2*rng.Float32() - 1
	}
	return g
}

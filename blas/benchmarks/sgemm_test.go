package benchmarks

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/blas/native"
)

// benchShape is one product measured by [BenchmarkSgemm]. bench/gemm/ref.c
// measures the same list from C; keep the two in step.
type benchShape struct {
	name    string
	tA, tB  blas.Transpose
	m, n, k int
}

// benchShapes are square products, and the products of an MLP with layers
// 784-1024-1024-10 at batch 128: forward X·Wᵀ, weight gradient dOutᵀ·X and
// input gradient dOut·W of each fully connected layer (the first layer's
// input gradient is not needed in training but is listed for symmetry).
var benchShapes = []benchShape{
	{"square128", blas.NoTrans, blas.NoTrans, 128, 128, 128},
	{"square256", blas.NoTrans, blas.NoTrans, 256, 256, 256},
	{"square512", blas.NoTrans, blas.NoTrans, 512, 512, 512},
	{"square1024", blas.NoTrans, blas.NoTrans, 1024, 1024, 1024},
	{"square2048", blas.NoTrans, blas.NoTrans, 2048, 2048, 2048},
	{"fc1.fwd", blas.NoTrans, blas.Trans, 128, 1024, 784},
	{"fc2.fwd", blas.NoTrans, blas.Trans, 128, 1024, 1024},
	{"fc3.fwd", blas.NoTrans, blas.Trans, 128, 10, 1024},
	{"fc1.dW", blas.Trans, blas.NoTrans, 1024, 784, 128},
	{"fc2.dW", blas.Trans, blas.NoTrans, 1024, 1024, 128},
	{"fc3.dW", blas.Trans, blas.NoTrans, 10, 1024, 128},
	{"fc1.dX", blas.NoTrans, blas.NoTrans, 128, 784, 1024},
	{"fc2.dX", blas.NoTrans, blas.NoTrans, 128, 1024, 1024},
	{"fc3.dX", blas.NoTrans, blas.NoTrans, 128, 1024, 10},
}

// BenchmarkSgemm measures every implementation the build has, with one and
// two threads, on [benchShapes], in GFLOP/s and GFLOP/cpu-s (see the package
// documentation). Its sub-benchmarks are named shape/implementation/threads=N;
// bench/gemm/gemm.sh runs them beside the C reference and tabulates both.
func BenchmarkSgemm(b *testing.B) {
	var impls []blas.Impl
	for _, threads := range []int{1, 2} {
		impls = append(impls, auto.New(threads))
	}
	if impls[0].Name() != "native" {
		for _, threads := range []int{1, 2} {
			impls = append(impls, native.New(threads))
		}
	}

	for _, s := range benchShapes {
		a := benchOperand(s.m, s.k, s.tA)
		bm := benchOperand(s.k, s.n, s.tB)
		c := blas.Matrix(s.m, s.n, make([]float32, s.m*s.n))
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		for _, impl := range impls {
			name := fmt.Sprintf("%s/%s/threads=%d", s.name, impl.Name(), impl.Threads())
			b.Run(name, func(b *testing.B) {
				// A one-thread product runs on the calling goroutine's
				// thread (cgo calls included), so pinning the goroutine
				// makes that thread's CPU time the product's.
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()

				cpu := threadCPUTime()
				for b.Loop() {
					impl.Sgemm(s.tA, s.tB, 1, a, bm, 0, c)
				}
				cpu = threadCPUTime() - cpu

				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				if impl.Threads() == 1 && cpu > 0 {
					b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
				}
			})
		}
	}
}

// benchOperand returns a dense operand whose op is rows×cols, stored
// transposed when trans is set. Its values are small, varied and normal:
// denormals would slow some kernels down and measure the wrong thing.
func benchOperand(rows, cols int, trans blas.Transpose) blas.General {
	if trans {
		rows, cols = cols, rows
	}
	g := blas.Matrix(rows, cols, make([]float32, rows*cols))
	for i := range g.Data {
		g.Data[i] = float32(i%13-6) * 0.125
	}
	return g
}

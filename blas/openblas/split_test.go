//go:build cgo

package openblas

import (
	"fmt"
	"testing"

	"github.com/mariana-dl/mariana/blas"
)

// BenchmarkSplit measures the ways a product can use two cores: C cut by
// rows, C cut by columns, and OpenBLAS's own thread pool on the whole
// product. It is how [plan]'s rule was chosen; rerun it on new hardware.
// The shapes are square ones and those of an MLP's fully connected layers
// at batch 128.
func BenchmarkSplit(b *testing.B) {
	const threads = 2
	setup.Do(configure)
	for _, s := range []struct {
		name    string
		tA, tB  blas.Transpose
		m, n, k int
	}{
		{"square128", false, false, 128, 128, 128},
		{"square256", false, false, 256, 256, 256},
		{"square1024", false, false, 1024, 1024, 1024},
		{"fwd784x1024", false, true, 128, 1024, 784},
		{"fwd1024x10", false, true, 128, 10, 1024},
		{"dW1024x784", true, false, 1024, 784, 128},
		{"dW10x1024", true, false, 10, 1024, 128},
		{"dX1024x1024", false, false, 128, 1024, 1024},
		{"dX10x1024", false, false, 128, 1024, 10},
	} {
		a := randomOperand(s.m, s.k, s.tA)
		bm := randomOperand(s.k, s.n, s.tB)
		c := blas.Matrix(s.m, s.n, make([]float32, s.m*s.n))
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}

		for _, byRows := range []bool{true, false} {
			name := fmt.Sprintf("%s/columns", s.name)
			if byRows {
				name = fmt.Sprintf("%s/rows", s.name)
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					run(threads, byRows, s.tA, s.tB, 1, a, bm, 0, c)
				}
				report(b)
			})
		}
		b.Run(s.name+"/pool", func(b *testing.B) {
			setThreadsInPool(threads)
			defer setThreadsInPool(1)
			for b.Loop() {
				sgemm(threads, s.tA, s.tB, 1, a, bm, 0, c, 0, s.m, 0, s.n)
			}
			report(b)
		})
		b.Run(s.name+"/serial", func(b *testing.B) {
			for b.Loop() {
				sgemm(1, s.tA, s.tB, 1, a, bm, 0, c, 0, s.m, 0, s.n)
			}
			report(b)
		})
	}
}

// randomOperand returns a dense operand whose op is rows×cols, with values
// that are not all equal (OpenBLAS's speed does not depend on them).
func randomOperand(rows, cols int, trans blas.Transpose) blas.General {
	if trans {
		rows, cols = cols, rows
	}
	g := blas.Matrix(rows, cols, make([]float32, rows*cols))
	for i := range g.Data {
		g.Data[i] = float32(i%13) * 0.125
	}
	return g
}

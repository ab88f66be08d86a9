package native

import (
	"github.com/mariana-dl/mariana/blas"
)

// Impl computes products in pure Go on a fixed number of goroutines. It
// holds no mutable state, so one Impl may serve several goroutines at once.
type Impl struct {
	threads int
}

// New returns an Impl that splits each product over threads goroutines;
// threads below 1 count as 1.
func New(threads int) *Impl {
	return &Impl{threads: max(threads, 1)}
}

// Threads returns the number of goroutines a product may use.
func (g *Impl) Threads() int { return g.threads }

// Name returns "native".
func (g *Impl) Name() string { return "native" }

// Sgemm computes C = alpha*op(A)*op(B) + beta*C as [blas.Impl] specifies.
// It panics when the shapes disagree or a view's Stride or Data cannot hold
// its Rows and Cols, before writing anything.
func (g *Impl) Sgemm(tA, tB blas.Transpose, alpha float32, a, b blas.General,
	beta float32, c blas.General) {
	m, n, k := blas.Dims(tA, tB, a, b, c)
	blas.CheckView("native", "A", a)
	blas.CheckView("native", "B", b)
	blas.CheckView("native", "C", c)
	if m == 0 || n == 0 {
		return
	}

	parts, byRows := plan(m, n, k, g.threads)
	if parts <= 1 {
		block(tA, tB, alpha, a, b, beta, c, 0, m, 0, n, k)
		return
	}

	blas.RunSplit(parts, byRows, m, n, granule, func(r0, r1, c0, c1 int) {
		block(tA, tB, alpha, a, b, beta, c, r0, r1, c0, c1, k)
	})
}

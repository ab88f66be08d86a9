package native

import (
	"fmt"

	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/internal/par"
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
	checkView("A", a)
	checkView("B", b)
	checkView("C", c)
	if m == 0 || n == 0 {
		return
	}

	parts, byRows := plan(m, n, k, g.threads)
	if parts <= 1 {
		block(tA, tB, alpha, a, b, beta, c, 0, m, 0, n, k)
		return
	}

	// TODO: par.For allocates a few small objects per call (the goroutines'
	// closures), so a split product is not allocation-free; the
	// one-goroutine path above is. A persistent worker pool in internal/par
	// would remove them.
	size := n
	if byRows {
		size = m
	}
	blocks := (size + granule - 1) / granule
	par.For(parts, blocks, func(_, lo, hi int) {
		lo, hi = lo*granule, min(hi*granule, size)
		if byRows {
			block(tA, tB, alpha, a, b, beta, c, lo, hi, 0, n, k)
		} else {
			block(tA, tB, alpha, a, b, beta, c, 0, m, lo, hi, k)
		}
	})
}

// checkView panics unless g's Data holds every element its Rows, Cols and
// Stride address. Go would catch a short view too, but only after part of C
// had been written.
func checkView(name string, g blas.General) {
	if g.Rows < 0 || g.Cols < 0 || g.Stride < g.Cols {
		panic(fmt.Sprintf("native: %s is %dx%d with stride %d", name, g.Rows, g.Cols,
			g.Stride))
	}
	if g.Rows > 0 && g.Cols > 0 && len(g.Data) < (g.Rows-1)*g.Stride+g.Cols {
		panic(fmt.Sprintf("native: %s is %dx%d with stride %d but holds %d elements",
			name, g.Rows, g.Cols, g.Stride, len(g.Data)))
	}
}

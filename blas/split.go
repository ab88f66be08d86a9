package blas

import (
	"fmt"

	"github.com/mariana-dl/mariana/internal/par"
)

// Split decides how many goroutines compute an m×n×k product, and whether
// they cut C's rows (byRows) or its columns into blocks that are multiples
// of granule. A goroutine is added only per minPartFlops floating-point
// operations. Each goroutine packs the whole of the operand it shares with
// the others: op(B) when rows are cut, op(A) when columns are. C's longer
// side is therefore cut, which makes the shared operand the smaller one,
// unless that side has fewer granules than there are goroutines and the
// other has more.
func Split(m, n, k, threads, granule int, minPartFlops float64) (parts int, byRows bool) {
	flops := 2 * float64(m) * float64(n) * float64(k)
	parts = min(threads, int(flops/minPartFlops))
	if parts <= 1 {
		return 1, true
	}

	rowBlocks := (m + granule - 1) / granule
	colBlocks := (n + granule - 1) / granule
	byRows = m >= n
	if byRows && rowBlocks < parts && colBlocks > rowBlocks {
		byRows = false
	} else if !byRows && colBlocks < parts && rowBlocks > colBlocks {
		byRows = true
	}
	if byRows {
		return min(parts, rowBlocks), true
	}
	return min(parts, colBlocks), false
}

// RunSplit computes an m×n product C on parts goroutines as [Split] chose:
// block(r0, r1, c0, c1) computes rows [r0, r1) and columns [c0, c1) of C,
// and the blocks are disjoint, with edges on multiples of granule.
//
// TODO: par.For allocates a few small objects per call (the goroutines'
// closures), so a split product is not allocation-free. Implementations
// could take a device's par.Pool instead; that needs blas/auto to accept
// one, which no caller does yet.
func RunSplit(parts int, byRows bool, m, n, granule int, block func(r0, r1, c0, c1 int)) {
	size := n
	if byRows {
		size = m
	}
	blocks := (size + granule - 1) / granule
	par.For(parts, blocks, func(_, lo, hi int) {
		lo, hi = lo*granule, min(hi*granule, size)
		if byRows {
			block(lo, hi, 0, n)
		} else {
			block(0, m, lo, hi)
		}
	})
}

// CheckView panics unless g's Data holds every element its Rows, Cols and
// Stride address; pkg and name say whose operand it is. Go would catch a
// short view too, but only after part of C had been written, or, in cgo,
// not at all.
func CheckView(pkg, name string, g General) {
	if g.Rows < 0 || g.Cols < 0 || g.Stride < g.Cols {
		panic(fmt.Sprintf("%s: %s is %dx%d with stride %d", pkg, name, g.Rows, g.Cols,
			g.Stride))
	}
	if g.Rows > 0 && g.Cols > 0 && len(g.Data) < (g.Rows-1)*g.Stride+g.Cols {
		panic(fmt.Sprintf("%s: %s is %dx%d with stride %d but holds %d elements",
			pkg, name, g.Rows, g.Cols, g.Stride, len(g.Data)))
	}
}

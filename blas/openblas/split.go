//go:build cgo

package openblas

const (
	// granule is the multiple of rows or columns each goroutine's block of
	// C is cut to. OpenBLAS computes our row-major C as its column-major
	// transpose, in register blocks of up to 16 of our columns by 4 or 8
	// of our rows (AVX-512: 16×4); cutting at multiples of 16 keeps every
	// block whole, so no goroutine ends on a slow edge kernel it need not
	// run.
	granule = 16

	// minPartFlops is the least work, in floating-point operations, that
	// justifies one more goroutine. Starting and joining a goroutine costs
	// a few microseconds, in which one core does about half a million
	// operations; below a few million a split only adds overhead.
	minPartFlops = 2 << 20
)

// plan decides how many goroutines compute an m×n×k product, and whether
// they split C's rows (byRows) or its columns. Rows are preferred: each
// goroutine then reads its own rows of op(A) and shares op(B). Columns are
// used when C has too few rows to give every goroutine whole granules.
func plan(m, n, k, threads int) (parts int, byRows bool) {
	flops := 2 * float64(m) * float64(n) * float64(k)
	parts = min(threads, int(flops/minPartFlops))
	if parts <= 1 {
		return 1, true
	}

	rowBlocks := (m + granule - 1) / granule
	colBlocks := (n + granule - 1) / granule
	if rowBlocks >= parts || rowBlocks >= colBlocks {
		return min(parts, rowBlocks), true
	}
	return min(parts, colBlocks), false
}

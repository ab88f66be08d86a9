package native

const (
	// granule is the multiple of rows or columns each goroutine's block of
	// C is cut to: whole B panels when C is cut by columns.
	granule = nr

	// minPartFlops is the least work, in floating-point operations, that
	// justifies one more goroutine: about 50 µs of this package's kernel,
	// ten times what starting and joining a goroutine costs.
	minPartFlops = 1 << 18
)

// plan decides how many goroutines compute an m×n×k product, and whether
// they split C's rows (byRows) or its columns. Rows are preferred: each
// goroutine then packs its own rows of op(A) and reads op(B) in the same
// order as the others. Columns are used when C has too few rows to give
// every goroutine whole granules.
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

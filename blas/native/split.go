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
// they split C's rows (byRows) or its columns. Each goroutine packs the whole
// of the operand it shares with the others: op(B) when rows are split, op(A)
// when columns are. C's longer side is therefore split, which makes the
// shared operand the smaller one, unless that side has fewer granules than
// there are goroutines and the other has more.
func plan(m, n, k, threads int) (parts int, byRows bool) {
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

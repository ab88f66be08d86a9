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
	// justifies one more goroutine: about 40 µs of one core. Waking a
	// parked goroutine on another core costs from one to a few tens of
	// microseconds on a virtual machine, and each goroutine packs a whole
	// shared operand again; on the 2-core VM where this was measured
	// (BenchmarkSplit), 128³ products (4 million operations) ran slower
	// split than whole.
	minPartFlops = 4 << 20
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

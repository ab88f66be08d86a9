//go:build cgo

package openblas

import "github.com/mariana-dl/mariana/blas"

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

// plan decides how this package splits an m×n×k product; see [blas.Split].
func plan(m, n, k, threads int) (parts int, byRows bool) {
	return blas.Split(m, n, k, threads, granule, minPartFlops)
}

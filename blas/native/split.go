package native

import "github.com/mariana-dl/mariana/blas"

const (
	// granule is the multiple of rows or columns each goroutine's block of
	// C is cut to: whole B panels when C is cut by columns, for every nr.
	granule = 16

	// minPartFlops is the least work, in floating-point operations, that
	// justifies one more goroutine: about 50 µs of this package's kernel,
	// ten times what starting and joining a goroutine costs.
	minPartFlops = 1 << 18
)

// plan decides how this package splits an m×n×k product; see [blas.Split].
func plan(m, n, k, threads int) (parts int, byRows bool) {
	return blas.Split(m, n, k, threads, granule, minPartFlops)
}

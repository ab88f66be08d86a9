// Package kernel holds the register-blocked inner loops of the direct
// ("implicit GEMM") convolution in package layer: a tile of output
// elements accumulated in vector registers over a list of input offsets,
// so that the input is read where it lies instead of being unrolled into
// a column matrix and packed again by a BLAS.
//
// The loops are written in assembly for amd64 with AVX2 and FMA; [Tile]
// reports false where they are missing, and the callers then take their
// matrix-product path. [Tile6x16Go] is the same computation in Go, the
// reference the tests hold the assembly to.
package kernel

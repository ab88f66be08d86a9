// Package kernel holds the register-blocked inner loops of package layer's
// convolutions that read their operands where they lie, instead of
// unrolling the input into a column matrix and having a BLAS pack it
// again: [Tile], a tile of outputs accumulated over a list of input
// offsets (the direct forward pass and input gradient), and [Dot], a block
// of dot products along the output positions (the weight gradient).
//
// The loops are written in assembly for amd64 with AVX2 and FMA;
// [Available] reports false where they are missing (or with the purego
// build tag), and the callers then take their matrix-product path.
// [TileGo] and [DotGo] are the same computations in Go, the references the
// tests hold the assembly to.
package kernel

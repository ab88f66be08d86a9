// Package kernel holds the register-blocked inner loops of package layer's
// convolutions that read their operands where they lie, instead of
// unrolling the input into a column matrix and having a BLAS pack it
// again: [Tile], a tile of outputs accumulated over a list of input
// offsets (the direct forward pass and input gradient), and [Dot], a block
// of dot products along the output positions (the weight gradient). It
// also holds the elementwise loops over whole buffers that the compiler
// does not vectorise: [Add], the exchange's sum of gradients, and the
// solvers' update rules [SGD], [Momentum], [Nesterov] and [AdaGrad].
//
// The loops are written in assembly for amd64 with AVX2 and FMA;
// [Available] reports false where they are missing (or with the purego
// build tag), and the callers then take their matrix-product path (Add and
// the rules run their Go loops themselves). [TileGo], [DotGo], [AddGo],
// [MomentumGo] and the other ...Go functions are the same computations in
// Go, the references the tests hold the assembly to.
package kernel

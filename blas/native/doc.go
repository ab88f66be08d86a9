// Package native implements [blas.Impl] without cgo, so that Mariana builds
// and trains where cgo or OpenBLAS are not available. Its micro-kernel is
// the 6×16 tile of internal/kernel (Go assembly, AVX2 and FMA) where the
// CPU has them, and a loop in Go elsewhere or with the purego build tag;
// either way it is slower than OpenBLAS, which is why blas/auto prefers
// OpenBLAS when the build has cgo.
//
// # Algorithm
//
// The product follows the GotoBLAS scheme. For each block of kc rows of
// op(B) and nc of its columns, the block is packed into contiguous panels
// nr columns wide; for each block of mc rows of op(A) over the same kc,
// that block is packed into panels mr rows tall. A micro-kernel multiplies
// one A panel by one B panel into an mr×nr tile held in registers, and the
// tile is added into C.
// Packing makes every transpose combination and every stride look the same
// to the kernel, and keeps the operands it streams in the caches: a B panel
// in L1, the packed A block in L2.
//
// C is first scaled by beta (set to zero when beta is 0, so NaN in C does
// not survive), and every kc block then adds its share scaled by alpha.
//
// # Threads
//
// An [Impl] made with n threads cuts C into at most n disjoint blocks along
// its longer side (rows or columns) and computes them on goroutines started
// by internal/par; products too small to repay a goroutine run on
// the caller's. Each goroutine takes its packing buffers from a sync.Pool,
// so a product allocates nothing once the pool is warm, and one Impl may
// serve several goroutines at once.
//
// # Speed
//
// With the assembly tile a product reaches 45 to 80 GFLOP/s on one core of
// the AMD EPYC where OpenBLAS reaches 85 to 105 (the packing and the tile's
// broadcasts cost the rest); the Go loop runs on scalar SSE instructions,
// one multiply and one add per element, at about 5. BenchmarkSgemm in
// package blas/benchmarks measures them (bench/gemm/gemm.sh prints the
// table).
package native

// Package native implements [blas.Impl] in pure Go, so that Mariana builds
// and trains where cgo or OpenBLAS are not available. It is several times
// slower than OpenBLAS (Go emits no SIMD for this code, and the package
// uses no assembly), which is why blas/auto prefers OpenBLAS when the build
// has cgo.
//
// # Algorithm
//
// The product follows the GotoBLAS scheme. For each block of kc rows of
// op(B) and nc of its columns, the block is packed into contiguous panels
// nr columns wide; for each block of mc rows of op(A) over the same kc,
// that block is packed into panels mr rows tall. A micro-kernel multiplies
// one A panel by one B panel into an mr×nr tile held in local variables,
// which the compiler keeps in registers, and the tile is added into C.
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
// The kernel runs on scalar SSE instructions, one multiply and one add per
// element, at about 5 GFLOP/s per core on a current Xeon, against 120 to
// 140 for OpenBLAS's AVX-512 kernels. BenchmarkSgemm in package blas
// measures both.
package native

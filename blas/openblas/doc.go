// Package openblas implements [blas.Impl] on OpenBLAS's cblas_sgemm through
// cgo. It is compiled only when cgo is enabled; a CGO_ENABLED=0 build sees an
// empty package and uses blas/native instead (blas/auto makes that choice).
//
// # Threads
//
// OpenBLAS keeps one process-wide thread pool whose size is a global
// setting, which cannot give two devices of one machine a core each. So the
// package sets OpenBLAS's own pool to one thread, once, and an [Impl] made
// by [New] with n threads splits each product itself: C is cut into n
// disjoint blocks along its longer side (rows or columns), and n goroutines
// each call the single-threaded cblas_sgemm on their block. Two Impls of
// one thread each therefore run side by side on two goroutines without
// sharing anything but the read-only library code. Products of fewer than
// about eight million floating-point operations are not split, because
// waking another goroutine would cost more than it saves.
//
// The price of this independence: OpenBLAS's own threads share the packed
// copy of the operand they all read, while each goroutine here packs its
// own. BenchmarkSplit measures both ways; see [plan].
//
// Calling a single-threaded OpenBLAS from several threads of one program is
// the use OpenBLAS recommends for programs that thread themselves; each call
// takes its own packing buffers and writes only its own block of C. The
// package's tests run many such calls at once and compare every result with
// a float64 reference.
//
// # Kernel selection
//
// Debian builds OpenBLAS with DYNAMIC_ARCH: it picks its kernels from the
// CPU model when the library loads. Version 0.3.21 does not know CPUs
// newer than Sapphire Rapids and falls back to its "Prescott" kernels
// (SSE3), which are six times slower than the AVX-512 ones on such a CPU.
// When the package finds that fallback on a CPU that has AVX2 or AVX-512,
// and the user has not chosen a core with OPENBLAS_CORETYPE, it asks
// OpenBLAS to select again with the right core (SkylakeX for AVX-512,
// Haswell for AVX2). [Core] reports the kernels in use.
//
// # Building
//
// The package links with -lopenblas and includes <cblas.h>, which Debian's
// libopenblas-dev provides through its alternatives. With another layout,
// point CGO_CFLAGS and CGO_LDFLAGS at OpenBLAS's include and library
// directories.
package openblas

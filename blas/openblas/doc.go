// Package openblas implements [blas.Impl] on OpenBLAS's cblas_sgemm through
// cgo. It is compiled only when cgo is enabled; a CGO_ENABLED=0 build sees an
// empty package and uses blas/native instead (blas/auto makes that choice).
//
// # Threads
//
// The number of threads a product may use belongs to its [Impl], not to the
// process: two devices of one machine must each keep to their own cores.
// OpenBLAS's pthreads build has one process-wide count, but its OpenMP
// build (Debian's libopenblas0-openmp) reads the count from the calling
// thread, so the package links that build first (see [Threading]) and sets
// the count on every call. Then:
//
//   - a product of an Impl of one thread, or one of less than about a
//     million floating-point operations, runs on the calling thread alone;
//   - a bigger product of an Impl of n threads runs on up to n of
//     OpenBLAS's own threads, which share one packed copy of the operands,
//     unless another such product is running: OpenBLAS 0.3.21 gives all of
//     them one set of thread buffers, so the second is split instead, as
//     below, when it is worth it (eight million operations).
//
// Split: C is cut into n disjoint blocks along its longer side, and n
// goroutines each call the one-thread product on their block. This is also
// how every product of several threads runs when the loaded library is the
// pthreads build. It shares nothing between calls, at the price of packing
// the shared operand once per goroutine: 70 to 90% of OpenBLAS's own
// threads on two cores (BenchmarkSplit measures both).
//
// Calling a one-thread OpenBLAS from several threads of one program is the
// use OpenBLAS recommends for programs that thread themselves; each call
// takes its own packing buffers and writes only its own block of C. The
// package's tests run such calls, and threaded ones, at once, and compare
// every result with the same product run alone.
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
// # Loading
//
// The package does not link OpenBLAS: it loads the library with dlopen the
// first time it is needed ([Load]), so that it can prefer Debian's OpenMP
// build by its path, fall back to whichever libopenblas.so.0 the system's
// loader finds, and, when none loads, let blas/auto take the pure-Go
// products instead of the program failing to start. MARIANA_OPENBLAS names
// the one library to try instead. Loading it late also lets the package
// bound how long OpenMP's idle threads spin (GOMP_SPINCOUNT, unless the
// user sets it or OMP_WAIT_POLICY), which libgomp reads only as it loads.
package openblas

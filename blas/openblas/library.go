//go:build cgo

package openblas

/*
// Debian installs each threading model of OpenBLAS in a folder of its own
// and points libopenblas.so.0 at one of them through its alternatives. The
// run path prefers the OpenMP build (package libopenblas0-openmp), whose
// thread count is per calling thread; without it the loader takes whichever
// build the alternatives name, and [configure] finds out which it got.
#cgo linux,amd64 LDFLAGS: -L/usr/lib/x86_64-linux-gnu/openblas-openmp
#cgo linux,amd64 LDFLAGS: -Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-openmp
#cgo linux,arm64 LDFLAGS: -L/usr/lib/aarch64-linux-gnu/openblas-openmp
#cgo linux,arm64 LDFLAGS: -Wl,-rpath,/usr/lib/aarch64-linux-gnu/openblas-openmp
#cgo LDFLAGS: -lopenblas -lgomp
#include <stdlib.h>
#include <string.h>
#include <cblas.h>

// Only DYNAMIC_ARCH builds of OpenBLAS export these; weak references let a
// build for one fixed CPU link too, and leave them NULL there.
extern void gotoblas_dynamic_init(void) __attribute__((weak));
extern void gotoblas_dynamic_quit(void) __attribute__((weak));

// mariana_better_core names the OpenBLAS core that suits this CPU when
// OpenBLAS's own detection fell back to its generic Prescott kernels, and
// returns NULL when nothing is to be done: the user chose a core, the
// library cannot select again, or the CPU has no wider vectors to offer.
static const char *mariana_better_core(void) {
	if (getenv("OPENBLAS_CORETYPE") != NULL) {
		return NULL;
	}
	if (gotoblas_dynamic_init == NULL || gotoblas_dynamic_quit == NULL) {
		return NULL;
	}
	if (strcmp(openblas_get_corename(), "Prescott") != 0) {
		return NULL;
	}
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
		__builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
		__builtin_cpu_supports("avx512vl")) {
		return "SkylakeX";
	}
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
		return "Haswell";
	}
	return NULL;
}

// mariana_select_core makes OpenBLAS choose its kernels again, as it does
// when it loads, with the core named. OpenBLAS reads the choice from the
// environment only, so the variable is set for the call and removed after.
static void mariana_select_core(const char *core) {
	setenv("OPENBLAS_CORETYPE", core, 1);
	gotoblas_dynamic_quit();
	gotoblas_dynamic_init();
	unsetenv("OPENBLAS_CORETYPE");
}
*/
import "C"

import "sync"

// setup runs [configure] once per process, before the first product.
var setup sync.Once

// perCallThreads is whether the loaded OpenBLAS takes its thread count from
// the calling thread (the OpenMP build). Set once by [configure].
var perCallThreads bool

// configure puts the process-wide OpenBLAS state where this package needs
// it: kernels that match the CPU, and a default of one thread, so that a
// call computes on the calling thread unless an [Impl] asks for more.
func configure() {
	if core := C.mariana_better_core(); core != nil {
		C.mariana_select_core(core)
	}
	C.openblas_set_num_threads(1)
	perCallThreads = C.openblas_get_parallel() == C.OPENBLAS_OPENMP
}

// Threading names how an [Impl] of several threads runs a product: "openmp"
// when OpenBLAS's own threads compute it, "split" when goroutines each run
// a one-thread call on a block of C (see the package documentation).
func Threading() string {
	setup.Do(configure)
	if perCallThreads {
		return "openmp"
	}
	return "split"
}

// Core returns the name of the OpenBLAS kernels in use, such as "SkylakeX"
// or "Haswell", for logs and benchmark tables.
func Core() string {
	setup.Do(configure)
	return C.GoString(C.openblas_get_corename())
}

// threadsInPool returns the size of OpenBLAS's own thread pool; tests use it
// to check [configure].
func threadsInPool() int {
	return int(C.openblas_get_num_threads())
}

// setThreadsInPool resizes OpenBLAS's own thread pool. Only the benchmark
// that measures OpenBLAS's threading against this package's uses it, and
// puts the pool back to one thread after.
func setThreadsInPool(n int) {
	C.openblas_set_num_threads(C.int(n))
}

//go:build cgo

package openblas

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

// The OpenBLAS functions this package calls, found with dlsym once the
// library is loaded. Enumerations are passed as int, as the C ABI does, and
// blasint is int in the 32-bit-index builds Debian ships as libopenblas.
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
	const float *, int, float, float *, int);
static sgemm_fn p_sgemm;
static void (*p_set_num_threads)(int);
static int (*p_get_num_threads)(void);
static int (*p_get_parallel)(void);
static char *(*p_get_corename)(void);
static void (*p_omp_set_num_threads)(int);

// Only DYNAMIC_ARCH builds of OpenBLAS export these; NULL elsewhere.
static void (*p_dynamic_init)(void);
static void (*p_dynamic_quit)(void);

// mariana_open loads the OpenBLAS at path and finds its functions. It
// returns NULL on success, or dlerror's reason. Before the first load, when
// the user has not chosen an OpenMP wait policy, it bounds how long
// OpenMP's idle threads spin: libgomp reads that once, as it loads, and its
// default keeps a core busy for milliseconds after each threaded product,
// which the goroutines that run the rest of a step need.
static const char *mariana_open(const char *path, const char *spin) {
	if (getenv("OMP_WAIT_POLICY") == NULL && getenv("GOMP_SPINCOUNT") == NULL) {
		setenv("GOMP_SPINCOUNT", spin, 0);
	}
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		return dlerror();
	}
	p_sgemm = (sgemm_fn)dlsym(h, "cblas_sgemm");
	p_set_num_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
	p_get_num_threads = (int (*)(void))dlsym(h, "openblas_get_num_threads");
	p_get_parallel = (int (*)(void))dlsym(h, "openblas_get_parallel");
	p_get_corename = (char *(*)(void))dlsym(h, "openblas_get_corename");
	if (p_sgemm == NULL || p_set_num_threads == NULL || p_get_num_threads == NULL ||
		p_get_parallel == NULL || p_get_corename == NULL) {
		dlclose(h);
		p_sgemm = NULL;
		return "the library lacks cblas_sgemm or the openblas_* functions";
	}
	p_omp_set_num_threads = (void (*)(int))dlsym(h, "omp_set_num_threads");
	p_dynamic_init = (void (*)(void))dlsym(h, "gotoblas_dynamic_init");
	p_dynamic_quit = (void (*)(void))dlsym(h, "gotoblas_dynamic_quit");
	return NULL;
}

// mariana_sgemm is cblas_sgemm on row-major operands (CblasRowMajor = 101)
// with at most threads threads. An OpenMP build of OpenBLAS reads the count
// from the calling thread; other builds keep their process-wide count of
// one.
void mariana_sgemm(int threads, int ta, int tb, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
	if (p_omp_set_num_threads != NULL) {
		p_omp_set_num_threads(threads);
	}
	p_sgemm(101, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

static void mariana_set_num_threads(int n) { p_set_num_threads(n); }
static int mariana_get_num_threads(void) { return p_get_num_threads(); }
static int mariana_get_parallel(void) { return p_get_parallel(); }
static const char *mariana_get_corename(void) { return p_get_corename(); }

// mariana_better_core names the OpenBLAS core that suits this CPU when
// OpenBLAS's own detection fell back to its generic Prescott kernels, and
// returns NULL when nothing is to be done: the user chose a core, the
// library cannot select again, or the CPU has no wider vectors to offer.
static const char *mariana_better_core(void) {
	if (getenv("OPENBLAS_CORETYPE") != NULL) {
		return NULL;
	}
	if (p_dynamic_init == NULL || p_dynamic_quit == NULL) {
		return NULL;
	}
	if (strcmp(p_get_corename(), "Prescott") != 0) {
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
	p_dynamic_quit();
	p_dynamic_init();
	unsetenv("OPENBLAS_CORETYPE");
}
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// spinCount is how many times an idle OpenMP thread polls for new work
// before it sleeps, unless the user sets OMP_WAIT_POLICY or GOMP_SPINCOUNT:
// tens of microseconds, enough to catch the next product of a layer's
// sequence without holding a core through the goroutine work between them.
const spinCount = "10000"

// setup runs [configure] once per process, before the first product.
var setup sync.Once

var (
	// loadErr is why no OpenBLAS could be loaded, or nil.
	loadErr error

	// loadedPath is the library that was loaded.
	loadedPath string

	// perCallThreads is whether the loaded OpenBLAS takes its thread count
	// from the calling thread (the OpenMP build).
	perCallThreads bool
)

// configure loads OpenBLAS (see [Load]) and puts its process-wide state
// where this package needs it: kernels that match the CPU, and a default of
// one thread, so that a call computes on the calling thread unless an
// [Impl] asks for more.
func configure() {
	var reasons []string
	for _, path := range libraryPaths() {
		p := C.CString(path)
		s := C.CString(spinCount)
		reason := C.mariana_open(p, s)
		C.free(unsafe.Pointer(p))
		C.free(unsafe.Pointer(s))
		if reason == nil {
			loadedPath = path
			break
		}
		reasons = append(reasons, C.GoString(reason))
	}
	if loadedPath == "" {
		loadErr = fmt.Errorf("openblas: no OpenBLAS library loads (%s); on Debian, "+
			"apt-get install libopenblas0-openmp", strings.Join(reasons, "; "))
		return
	}

	if core := C.mariana_better_core(); core != nil {
		C.mariana_select_core(core)
	}
	C.mariana_set_num_threads(1)
	perCallThreads = C.mariana_get_parallel() == openmpBuild
}

// openmpBuild is openblas_get_parallel's answer for the OpenMP build.
const openmpBuild = 2

// libraryEnv names the environment variable that, when set, is the only
// OpenBLAS library tried: a path, or a name the system's loader resolves.
const libraryEnv = "MARIANA_OPENBLAS"

// multiarch is Debian's library folder name per Go architecture.
var multiarch = map[string]string{"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}

// libraryPaths lists the libraries [configure] tries, in order: Debian's
// OpenMP build by its path, then whatever the loader resolves.
func libraryPaths() []string {
	if path := os.Getenv(libraryEnv); path != "" {
		return []string{path}
	}
	var paths []string
	if dir, ok := multiarch[runtime.GOARCH]; ok && runtime.GOOS == "linux" {
		paths = append(paths, "/usr/lib/"+dir+"/openblas-openmp/libopenblas.so.0")
	}
	return append(paths, "libopenblas.so.0", "libopenblas.so")
}

// Load loads OpenBLAS, once per process, and reports why it could not.
// The package prefers Debian's OpenMP build (package libopenblas0-openmp),
// whose thread count is per calling thread, and otherwise takes whichever
// libopenblas.so.0 the system's loader finds. [New] needs a loaded library;
// blas/auto calls Load to choose between this package and blas/native.
func Load() error {
	setup.Do(configure)
	return loadErr
}

// mustLoad loads OpenBLAS or panics: an [Impl] without a library has no
// product to offer, and the constructor's caller was told to call [Load].
func mustLoad() {
	if err := Load(); err != nil {
		panic(err)
	}
}

// Library returns the path of the OpenBLAS library in use, for logs.
func Library() string {
	if Load() != nil {
		return ""
	}
	return loadedPath
}

// Core returns the name of the OpenBLAS kernels in use, such as "SkylakeX"
// or "Haswell", for logs and benchmark tables, or "" without a library.
func Core() string {
	if Load() != nil {
		return ""
	}
	return C.GoString(C.mariana_get_corename())
}

// Threading names how an [Impl] of several threads runs a product: "openmp"
// when OpenBLAS's own threads compute it, "split" when goroutines each run
// a one-thread call on a block of C (see the package documentation).
func Threading() string {
	if Load() == nil && perCallThreads {
		return "openmp"
	}
	return "split"
}

// threadsInPool returns the size of OpenBLAS's own thread pool; tests use it
// to check [configure].
func threadsInPool() int {
	mustLoad()
	return int(C.mariana_get_num_threads())
}

// setThreadsInPool resizes OpenBLAS's own thread pool. Only the benchmark
// that measures OpenBLAS's threading against this package's uses it, and
// puts the pool back to one thread after.
func setThreadsInPool(n int) {
	mustLoad()
	C.mariana_set_num_threads(C.int(n))
}

//go:build cgo

package openblas

/*
// mariana_sgemm (library.go) neither keeps the pointers it is given past the
// call nor calls back into Go, which lets cgo skip the bookkeeping for
// either.
#cgo noescape mariana_sgemm
#cgo nocallback mariana_sgemm
void mariana_sgemm(int threads, int ta, int tb, int m, int n, int k, float alpha,
	const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc);
*/
import "C"

import (
	"fmt"
	"math"
	"sync"
	"unsafe"

	"github.com/mariana-dl/mariana/blas"
)

// Impl computes products with OpenBLAS on a fixed number of goroutines. It
// holds no mutable state, so one Impl may serve several goroutines at once.
type Impl struct {
	threads int
	clock   yieldClock
}

// New returns an Impl whose products use at most threads threads; threads
// below 1 count as 1. It panics when no OpenBLAS library loads: call [Load]
// first to find out, as blas/auto does. The first call also configures
// OpenBLAS for the process (see the package documentation).
func New(threads int) *Impl {
	mustLoad()
	return &Impl{threads: max(threads, 1)}
}

// Threads returns the number of goroutines a product may use.
func (o *Impl) Threads() int { return o.threads }

// Name returns "openblas".
func (o *Impl) Name() string { return "openblas" }

// Sgemm computes C = alpha*op(A)*op(B) + beta*C as [blas.Impl] specifies.
// It panics when the shapes disagree or a view's Stride or Data cannot hold
// its Rows and Cols, before any memory is handed to C code.
func (o *Impl) Sgemm(tA, tB blas.Transpose, alpha float32, a, b blas.General,
	beta float32, c blas.General) {
	m, n, k := blas.Dims(tA, tB, a, b, c)
	checkView("A", a)
	checkView("B", b)
	checkView("C", c)
	if m == 0 || n == 0 {
		return
	}

	// These never reach OpenBLAS: the reference BLAS rule that A and B are
	// not read when k or alpha is 0 is kept here, in sight, and an empty A
	// or B has no first element to point at.
	if k == 0 || alpha == 0 {
		scale(beta, c)
		return
	}
	o.clock.yieldSometimes()

	if k0 := kHead(k); k0 > 0 {
		o.sgemmBlock(tA, tB, alpha, kSlice(a, bool(tA), 0, k0), kSlice(b, !bool(tB), 0, k0), beta, c,
			m, n, k0)
		a, b, beta, k = kSlice(a, bool(tA), k0, k), kSlice(b, !bool(tB), k0, k), 1, k-k0
	}
	o.sgemmBlock(tA, tB, alpha, a, b, beta, c, m, n, k)
}

// Note [Same bits on any thread count]. OpenBLAS cuts an inner dimension k
// longer than its kernel's block length Q into blocks, and version 0.3.21
// cuts a remainder between Q and 2Q differently on one thread (in two
// halves rounded to the kernel's 16 rows) than on several (in two halves),
// so for most k above Q a product's bits would depend on the thread count,
// and on which of its two drivers OpenBLAS picks for the size. The two
// agree when k is at most Q, and when k is a multiple of 32: Q is a
// multiple of 32 in every current kernel, so every remainder is too, and
// its halves are multiples of 16 that neither driver rounds. So a product
// whose k is above safeK and not a multiple of 32 first computes a head of
// k values in a call of its own, which either driver takes in one block,
// and then the rest, a multiple of 32, adding to C. The head is the longest
// that fits in safeK (240 of fc1's 784), so that it is a product worth a
// call: with it, the product makes as many passes over C as OpenBLAS's own
// blocks would, and costs one more call. TestSameBitsOnAnyThreads checks
// the bits.
//
// TODO: the rule trusts every kernel's block length to be a multiple of 32
// of at least 256; probing the loaded kernel's block length at start-up
// would check the trust.
const safeK = 256

// kHead returns how much of an inner dimension k goes in a call of its own
// before the rest (see Note [Same bits on any thread count]), or 0: the
// longest head of at most safeK values that leaves a multiple of 32.
func kHead(k int) int {
	if k <= safeK || k%32 == 0 {
		return 0
	}
	return k%32 + (safeK-k%32)/32*32
}

// kSlice returns the view of values [k0, k1) of g along the inner
// dimension: g's columns, or its rows when byRows.
func kSlice(g blas.General, byRows bool, k0, k1 int) blas.General {
	if byRows {
		return blas.General{Rows: k1 - k0, Cols: g.Cols, Stride: g.Stride,
			Data: g.Data[k0*g.Stride:]}
	}
	return blas.General{Rows: g.Rows, Cols: k1 - k0, Stride: g.Stride, Data: g.Data[k0:]}
}

// sgemmBlock computes a product on OpenBLAS's own threads, split over
// one-thread calls, or on one thread.
func (o *Impl) sgemmBlock(tA, tB blas.Transpose, alpha float32, a, b blas.General,
	beta float32, c blas.General, m, n, k int) {
	if perCallThreads && o.threads > 1 && 2*float64(m)*float64(n)*float64(k) >= minPoolFlops &&
		min(n, k) >= minPoolDim && threaded.TryLock() {
		sgemm(o.threads, tA, tB, alpha, a, b, beta, c, 0, m, 0, n)
		threaded.Unlock()
		return
	}
	parts, byRows := plan(m, n, k, o.threads)
	if parts <= 1 {
		sgemm(1, tA, tB, alpha, a, b, beta, c, 0, m, 0, n)
		return
	}
	run(parts, byRows, tA, tB, alpha, a, b, beta, c)
}

// minPoolFlops is the least work, in floating-point operations, handed to
// OpenBLAS's own threads: about 8 µs of one core. Its threads share one
// packed copy of the operands and wait for work spinning, so they pay off
// on smaller products than a split over goroutines does (minPartFlops);
// OpenBLAS itself decides, above this, how many of them to use.
const minPoolFlops = 1 << 20

// minPoolDim is the least number of columns of C, and of inner length k, of
// a product handed to OpenBLAS's own threads. Narrower products (the MLP's
// 10 outputs, and its output gradient's k = 10) run slower on two of its
// threads than on one, from C as well (bench/gemm/gemm.sh: fc3.fwd 33
// against 42 GFLOP/s, fc3.dX 44 against 53); a product with few rows but
// many columns (fc3.dW, 10×1024) still gains from two.
const minPoolDim = 32

// CBLAS's values of enum CBLAS_TRANSPOSE.
const (
	cblasNoTrans C.int = 111
	cblasTrans   C.int = 112
)

// threaded is held by the one product that OpenBLAS's own threads compute.
// OpenBLAS 0.3.21's OpenMP build keeps one set of buffers for its threads,
// shared by every caller, so two threaded products at once would write over
// each other's packed operands; a product that finds it held is split over
// one-thread calls instead, which share nothing. One-thread calls never
// take it.
var threaded sync.Mutex

// run computes the product on parts goroutines, each owning a disjoint
// block of C's rows (byRows) or columns. Block edges fall on multiples of
// [granule] so that OpenBLAS's register blocks stay whole.
//
// Products take this path only when the loaded OpenBLAS cannot run a
// product on a count of threads of the caller's choosing (its pthreads
// build), or when another product holds OpenBLAS's threads.
//
// TODO: on two cores the split reaches 70 to 90% of OpenBLAS's own two
// threads on large squares, and less on the MLP's shapes: every goroutine
// packs the shared operand again, where OpenBLAS's threads share one packed
// copy. It matters where the OpenMP build is missing and where several
// devices of more than one thread each share a process.
func run(parts int, byRows bool, tA, tB blas.Transpose, alpha float32,
	a, b blas.General, beta float32, c blas.General) {
	blas.RunSplit(parts, byRows, c.Rows, c.Cols, granule, func(r0, r1, c0, c1 int) {
		sgemm(1, tA, tB, alpha, a, b, beta, c, r0, r1, c0, c1)
	})
}

// sgemm hands rows [r0, r1) and columns [c0, c1) of C to OpenBLAS, to be
// computed on at most threads threads. The range must be non-empty and k
// positive, so every pointer taken below addresses an element inside its
// view.
func sgemm(threads int, tA, tB blas.Transpose, alpha float32, a, b blas.General,
	beta float32, c blas.General, r0, r1, c0, c1 int) {
	k := a.Cols
	if tA {
		k = a.Rows
	}

	// Row r of op(A) starts at A's row r, or at A's column r when A is
	// transposed; column j of op(B) likewise.
	ai, ta := r0*a.Stride, cblasNoTrans
	if tA {
		ai, ta = r0, cblasTrans
	}
	bi, tb := c0, cblasNoTrans
	if tB {
		bi, tb = c0*b.Stride, cblasTrans
	}
	C.mariana_sgemm(C.int(threads), ta, tb, C.int(r1-r0), C.int(c1-c0), C.int(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a.Data[ai])), C.int(a.Stride),
		(*C.float)(unsafe.Pointer(&b.Data[bi])), C.int(b.Stride),
		C.float(beta), (*C.float)(unsafe.Pointer(&c.Data[r0*c.Stride+c0])), C.int(c.Stride))
}

// scale sets C = beta*C, writing zeros when beta is 0 so that NaN or Inf
// left in C does not survive.
func scale(beta float32, c blas.General) {
	for i := 0; i < c.Rows; i++ {
		row := c.Data[i*c.Stride : i*c.Stride+c.Cols]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// checkView panics unless g's Data holds every element its Rows, Cols and
// Stride address ([blas.CheckView]) and every size fits OpenBLAS's 32-bit
// integers. Go's bounds checks stop at the cgo boundary, so this is what
// keeps a wrong view from reading or writing memory it does not own.
func checkView(name string, g blas.General) {
	blas.CheckView("openblas", name, g)
	if g.Rows > math.MaxInt32 || g.Cols > math.MaxInt32 || g.Stride > math.MaxInt32 {
		panic(fmt.Sprintf("openblas: %s is %dx%d with stride %d, beyond 32-bit sizes",
			name, g.Rows, g.Cols, g.Stride))
	}
}

//go:build cgo

package openblas

/*
// cblas_sgemm neither keeps the pointers it is given past the call nor calls
// back into Go, which lets cgo skip the bookkeeping for either.
#cgo noescape cblas_sgemm
#cgo nocallback cblas_sgemm
#include <cblas.h>
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/mariana-dl/mariana/blas"
)

// Impl computes products with OpenBLAS on a fixed number of goroutines. It
// holds no mutable state, so one Impl may serve several goroutines at once.
type Impl struct {
	threads int
}

// New returns an Impl that splits each product over threads goroutines;
// threads below 1 count as 1. The first call also configures OpenBLAS for
// the process (see the package documentation).
func New(threads int) *Impl {
	setup.Do(configure)
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

	parts, byRows := plan(m, n, k, o.threads)
	if parts <= 1 {
		sgemm(tA, tB, alpha, a, b, beta, c, 0, m, 0, n)
		return
	}
	run(parts, byRows, tA, tB, alpha, a, b, beta, c)
}

// run computes the product on parts goroutines, each owning a disjoint
// block of C's rows (byRows) or columns. Block edges fall on multiples of
// [granule] so that OpenBLAS's register blocks stay whole.
//
// TODO: on two cores this reaches 70 to 90% of OpenBLAS's own two threads
// on large squares, and less on the MLP's shapes: every goroutine packs the
// shared operand again, where OpenBLAS's threads share one packed copy and
// spin between calls instead of parking. OpenBLAS 0.3.21 has only a
// process-wide thread count, which two devices cannot share; the
// openblas_set_num_threads_local of later releases (0.3.27 on) aims at a
// count per calling thread and could replace this split once Debian ships
// it and it proves to work with the pthreads build.
func run(parts int, byRows bool, tA, tB blas.Transpose, alpha float32,
	a, b blas.General, beta float32, c blas.General) {
	blas.RunSplit(parts, byRows, c.Rows, c.Cols, granule, func(r0, r1, c0, c1 int) {
		sgemm(tA, tB, alpha, a, b, beta, c, r0, r1, c0, c1)
	})
}

// sgemm hands rows [r0, r1) and columns [c0, c1) of C to cblas_sgemm. The
// range must be non-empty and k positive, so every pointer taken below
// addresses an element inside its view.
func sgemm(tA, tB blas.Transpose, alpha float32, a, b blas.General,
	beta float32, c blas.General, r0, r1, c0, c1 int) {
	k := a.Cols
	if tA {
		k = a.Rows
	}

	// Row r of op(A) starts at A's row r, or at A's column r when A is
	// transposed; column j of op(B) likewise.
	ai, ta := r0*a.Stride, C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans)
	if tA {
		ai, ta = r0, C.CblasTrans
	}
	bi, tb := c0, C.enum_CBLAS_TRANSPOSE(C.CblasNoTrans)
	if tB {
		bi, tb = c0*b.Stride, C.CblasTrans
	}
	C.cblas_sgemm(C.CblasRowMajor, ta, tb,
		C.blasint(r1-r0), C.blasint(c1-c0), C.blasint(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(&a.Data[ai])), C.blasint(a.Stride),
		(*C.float)(unsafe.Pointer(&b.Data[bi])), C.blasint(b.Stride),
		C.float(beta), (*C.float)(unsafe.Pointer(&c.Data[r0*c.Stride+c0])),
		C.blasint(c.Stride))
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

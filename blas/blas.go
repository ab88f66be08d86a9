// Package blas defines the float32 matrix product that every dense and
// convolutional layer of Mariana is built on, and nothing else.
//
// Implementations live in sub-packages: blas/openblas calls Debian's OpenBLAS
// through cgo, blas/native is the pure-Go fallback that keeps CGO_ENABLED=0
// builds working, and blas/blastest is the conformance suite that both pass.
// blas/auto picks the best one the build has.
//
// An implementation is a value, not a global: it is created with the number
// of threads it may use, so that each device of a machine can own its share
// of the cores.
package blas

// Transpose says whether an operand of [Impl.Sgemm] is used as stored or
// transposed.
type Transpose bool

const (
	// NoTrans uses the operand as stored.
	NoTrans Transpose = false
	// Trans uses the transpose of the operand.
	Trans Transpose = true
)

// General is a row-major view of a float32 matrix: element (i, j) is
// Data[i*Stride+j]. Stride is at least Cols.
type General struct {
	Rows, Cols, Stride int
	Data               []float32
}

// Matrix returns a dense General view of data with the given rows and
// columns.
func Matrix(rows, cols int, data []float32) General {
	return General{Rows: rows, Cols: cols, Stride: cols, Data: data}
}

// Impl is a float32 matrix-multiply implementation.
type Impl interface {
	// Sgemm computes C = alpha*op(A)*op(B) + beta*C, where op(X) is X or Xᵀ
	// as tA and tB say. op(A) is m×k, op(B) is k×n and C is m×n. When beta
	// is 0, C is overwritten and its previous contents (even NaN) are
	// ignored. Mismatched dimensions are a programmer error and panic.
	Sgemm(tA, tB Transpose, alpha float32, a, b General, beta float32, c General)

	// Threads returns the number of threads a product may use.
	Threads() int

	// Name identifies the implementation in logs and benchmark tables.
	Name() string
}

// Dims returns m, n and k of C = op(A)*op(B) and panics when the operands'
// shapes disagree. Implementations call it before computing.
func Dims(tA, tB Transpose, a, b, c General) (m, n, k int) {
	m, k = a.Rows, a.Cols
	if tA {
		m, k = k, m
	}
	kb, n := b.Rows, b.Cols
	if tB {
		kb, n = n, kb
	}
	if k != kb || c.Rows != m || c.Cols != n {
		panic("blas: dimension mismatch in Sgemm")
	}
	return m, n, k
}

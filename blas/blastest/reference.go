package blastest

import (
	"fmt"
	"math"

	"github.com/mariana-dl/mariana/blas"
)

// unitRoundoff is the relative rounding error of one float32 operation.
const unitRoundoff = 1.0 / (1 << 24)

// reference is op(A)·op(B) computed in float64 from the float32 inputs,
// with, for every element, the sum of the absolute values of its terms,
// which scales the error an implementation may make.
type reference struct {
	m, n, k int
	prod    []float64
	abs     []float64
}

// newReference computes the reference product of op(A) and op(B).
func newReference(tA, tB blas.Transpose, a, b blas.General) reference {
	m, k := a.Rows, a.Cols
	if tA {
		m, k = k, m
	}
	n := b.Cols
	if tB {
		n = b.Rows
	}

	// Rows of op(A) and columns of op(B), gathered contiguously in float64,
	// keep the triple loop fast enough for products of tens of millions of
	// terms.
	rowsA := make([]float64, m*k)
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			rowsA[i*k+p] = float64(at(a, tA, i, p))
		}
	}
	colsB := make([]float64, n*k)
	for j := 0; j < n; j++ {
		for p := 0; p < k; p++ {
			colsB[j*k+p] = float64(at(b, tB, p, j))
		}
	}

	r := reference{m: m, n: n, k: k, prod: make([]float64, m*n), abs: make([]float64, m*n)}
	for i := 0; i < m; i++ {
		ai := rowsA[i*k : (i+1)*k]
		for j := 0; j < n; j++ {
			bj := colsB[j*k : (j+1)*k]
			var sum, abs float64
			for p, av := range ai {
				term := av * bj[p]
				sum += term
				abs += math.Abs(term)
			}
			r.prod[i*n+j], r.abs[i*n+j] = sum, abs
		}
	}
	return r
}

// check compares C after the product with alpha·op(A)·op(B) + beta·C₀,
// where c0 holds C's m×n values before the call (ignored when beta is 0,
// as the contract says), and checks that the gaps of C's storage still
// hold [cSentinel]. It returns the first difference found.
func (r reference) check(alpha, beta float32, c0 []float32, c blas.General) error {
	for i := 0; i < r.m; i++ {
		for j := 0; j < r.n; j++ {
			want := float64(alpha) * r.prod[i*r.n+j]
			bound := math.Abs(float64(alpha)) * r.abs[i*r.n+j]
			if beta != 0 {
				old := float64(beta) * float64(c0[i*r.n+j])
				want += old
				bound += math.Abs(old)
			}
			tol := 4 * unitRoundoff * float64(r.k+2) * bound
			got := c.Data[i*c.Stride+j]
			if diff := math.Abs(float64(got) - want); !(diff <= tol) {
				return fmt.Errorf("C[%d,%d] = %g, want %g within %.3g (m=%d n=%d k=%d)",
					i, j, got, want, tol, r.m, r.n, r.k)
			}
		}
	}

	for i := 0; i+1 < r.m && r.n > 0; i++ {
		for j := i*c.Stride + r.n; j < (i+1)*c.Stride; j++ {
			if c.Data[j] != cSentinel {
				return fmt.Errorf("C's storage at %d, between rows %d and %d, changed to %g",
					j, i, i+1, c.Data[j])
			}
		}
	}
	return nil
}

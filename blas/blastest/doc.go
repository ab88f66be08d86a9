// Package blastest is the conformance suite that every [blas.Impl] passes.
// An implementation's own tests call [TestSgemm] once for each thread count
// they support:
//
//	func TestSgemm(t *testing.T) {
//		for _, threads := range []int{1, 2, 3} {
//			t.Run(fmt.Sprint("threads=", threads), func(t *testing.T) {
//				blastest.TestSgemm(t, native.New(threads))
//			})
//		}
//	}
//
// # What is checked
//
// Every result is compared with a float64 product computed naively from the
// same float32 inputs. The allowed error of C[i,j] is
//
//	tol = 4 · 2⁻²⁴ · (k+2) · (|alpha|·Σₚ|op(A)[i,p]|·|op(B)[p,j]| + |beta·C[i,j]|)
//
// which is the classical bound for float32 dot products of length k in any
// summation order, with a margin of four; fused multiply-adds and blocked
// sums stay inside it, a wrong element or a dropped term does not.
//
// The suite covers the four transpose combinations; dense views and views
// whose Stride exceeds Cols (with NaN in the gaps of A and B, which must not
// be read, and a sentinel in the gaps of C, which must not be written);
// alpha and beta of 0, 1 and other values, including beta = 0 over a C
// filled with NaN, which must be overwritten; empty products (m, n or k of
// 0); odd sizes; and sizes from below a million to tens of millions of
// floating-point operations, with C wide, tall and square, so that products
// an implementation splits among threads, by rows or by columns, are
// covered along with those it does not. It also checks that A and B are
// left unchanged, that mismatched shapes and views too short for their
// Stride panic, and that one Impl serves several goroutines at once.
package blastest

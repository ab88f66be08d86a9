package kernel

import "fmt"

// DotRows is how many rows of x one call of Dot takes.
const DotRows = 3

// Dot adds to c[i*ldc+j], for i < DotRows and j < f, the dot product
//
//	Σ_{p<n} x[i*ldx+p] · y[j*ldy+p]
//
// of row i of x with row j of y: a block of the product x·yᵀ, the form of
// a convolution's weight gradient (the column matrix times the output
// gradient, both long along the output positions). n must be a positive
// multiple of 8 and f a positive multiple of 4. The lanes of each product
// are summed in a fixed order, so the result depends on the operands
// alone. It panics on bad sizes or short slices, before any memory is
// read.
func Dot(n int, x []float32, ldx int, y []float32, ldy int, f int, c []float32, ldc int) {
	if n < 8 || n%8 != 0 || f < 4 || f%4 != 0 || ldx < n || ldy < n || ldc < f ||
		len(x) < (DotRows-1)*ldx+n || len(y) < (f-1)*ldy+n || len(c) < (DotRows-1)*ldc+f {
		panic(fmt.Sprintf("kernel: dot of n=%d f=%d with len(x)=%d ldx=%d len(y)=%d ldy=%d "+
			"len(c)=%d ldc=%d", n, f, len(x), ldx, len(y), ldy, len(c), ldc))
	}
	if !hasTile {
		DotGo(n, x, ldx, y, ldy, f, c, ldc)
		return
	}
	dot3(n, &x[0], ldx, &y[0], ldy, f, &c[0], ldc, n, 0)
}

// DotRuns is Dot where each row of x is not contiguous but runs runs of
// length values, run r starting at x[i*ldx+r*stride]: the form of a
// convolution's weight gradient read from the padded input, each run one
// output row's inputs, stride a padded row apart. A row of y is still
// runs·length contiguous values. length must be a positive multiple of 8,
// stride at least length, and ldx at least the span of a row. The sums
// are Dot's, in the same order, as if the runs were contiguous.
func DotRuns(runs, length, stride int, x []float32, ldx int, y []float32, ldy int, f int,
	c []float32, ldc int) {
	n := runs * length
	span := (runs-1)*stride + length
	if runs < 1 || length < 8 || length%8 != 0 || stride < length || f < 4 || f%4 != 0 ||
		ldx < span || ldy < n || ldc < f || len(x) < (DotRows-1)*ldx+span ||
		len(y) < (f-1)*ldy+n || len(c) < (DotRows-1)*ldc+f {
		panic(fmt.Sprintf("kernel: dot of %d runs of %d, stride %d, f=%d with len(x)=%d "+
			"ldx=%d len(y)=%d ldy=%d len(c)=%d ldc=%d", runs, length, stride, f, len(x), ldx,
			len(y), ldy, len(c), ldc))
	}
	if !hasTile {
		DotRunsGo(runs, length, stride, x, ldx, y, ldy, f, c, ldc)
		return
	}
	dot3(n, &x[0], ldx, &y[0], ldy, f, &c[0], ldc, length, stride-length)
}

// DotRunsGo is DotRuns in Go, summing each product in one float64
// accumulator: the reference the tests hold DotRuns to.
func DotRunsGo(runs, length, stride int, x []float32, ldx int, y []float32, ldy int, f int,
	c []float32, ldc int) {
	for i := range DotRows {
		for j := range f {
			var s float64
			for r := range runs {
				for p := range length {
					s += float64(x[i*ldx+r*stride+p]) * float64(y[j*ldy+r*length+p])
				}
			}
			c[i*ldc+j] += float32(s)
		}
	}
}

// DotGo is Dot in Go, summing each product in one float64 accumulator:
// the reference the tests hold Dot to, within rounding.
func DotGo(n int, x []float32, ldx int, y []float32, ldy int, f int, c []float32, ldc int) {
	for i := range DotRows {
		for j := range f {
			var s float64
			for p := range n {
				s += float64(x[i*ldx+p]) * float64(y[j*ldy+p])
			}
			c[i*ldc+j] += float32(s)
		}
	}
}

package kernel

import "fmt"

// A Shape is the shape of a tile: Rows weights (a convolution's filters)
// by Cols consecutive outputs.
type Shape struct{ Rows, Cols int }

// The tiles the assembly provides: Wide for rows of outputs a multiple of
// 16 long, Narrow for rows a multiple of 8 (8×8 and 24×24 outputs).
var (
	Wide   = Shape{Rows: 6, Cols: 16}
	Narrow = Shape{Rows: 12, Cols: 8}
)

// Tile sets c[i*ldc+j], for i < s.Rows and j < s.Cols, to
//
//	Σ_{t<k} a[t*s.Rows+i] · b[in(t, j)]
//
// summing t in order with one fused multiply-add per term, so the result
// depends on the operands alone. a holds k rows of s.Rows weights and off
// k offsets into b. The inputs of step t are in(t, j) = off[t]+j, except
// that a Wide tile reads its second 8 at off[t]+half+j-8: with half 8 the
// 16 are consecutive, with a larger half they come from two runs (two rows
// of an 8-wide output). Narrow tiles take half 0. span must be at least
// the largest offset plus half+8 (Wide) or 8 (Narrow): it is checked
// against len(b) here, once, instead of every offset in the loop. Tile
// panics when the slices are too short or the shape or half is not one of
// the above, before any memory is read.
func Tile(s Shape, k int, a []float32, off []int32, span int, b []float32, half int,
	c []float32, ldc int) {
	ok := (s == Wide && half >= 8) || (s == Narrow && half == 0)
	if !ok || k < 1 || len(a) < k*s.Rows || len(off) < k || len(b) < span ||
		span < half+8 || ldc < s.Cols || len(c) < (s.Rows-1)*ldc+s.Cols {
		panic(fmt.Sprintf("kernel: %d×%d tile of k=%d half=%d with len(a)=%d len(off)=%d "+
			"span=%d len(b)=%d len(c)=%d ldc=%d", s.Rows, s.Cols, k, half, len(a), len(off),
			span, len(b), len(c), ldc))
	}
	switch {
	case !hasTile:
		TileGo(s, k, a, off, b, half, c, ldc)
	case s == Wide:
		tile6x16(k, &a[0], &off[0], &b[0], half, &c[0], ldc)
	default:
		tile12x8(k, &a[0], &off[0], &b[0], &c[0], ldc)
	}
}

// TileGo is Tile in Go, without the checks.
func TileGo(s Shape, k int, a []float32, off []int32, b []float32, half int, c []float32,
	ldc int) {
	acc := make([]float32, s.Rows*s.Cols)
	for t := 0; t < k; t++ {
		w := a[t*s.Rows : (t+1)*s.Rows]
		for i, wi := range w {
			row := acc[i*s.Cols : (i+1)*s.Cols]
			for j := range row {
				in := int(off[t]) + j
				if j >= 8 && half > 0 {
					in += half - 8
				}
				row[j] = fma32(wi, b[in], row[j])
			}
		}
	}
	for i := range s.Rows {
		copy(c[i*ldc:i*ldc+s.Cols], acc[i*s.Cols:(i+1)*s.Cols])
	}
}

// Available reports whether Tile runs the assembly loops, and with it
// whether a direct convolution is worth taking over a matrix product.
func Available() bool { return hasTile }

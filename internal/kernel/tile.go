package kernel

import "fmt"

// TileRows and TileCols are the shape of one tile: rows of weights
// (filters) by consecutive output positions.
const (
	TileRows = 6
	TileCols = 16
)

// Tile6x16 sets c[i*ldc+j], for i < TileRows and j < TileCols, to
//
//	Σ_{t<k} a[t*TileRows+i] · b[off[t]+j]
//
// summing t in order with one fused multiply-add per term, so the result
// depends on the operands alone. a holds k rows of TileRows weights, off k
// offsets into b, and span must be at least the largest offset plus
// TileCols: it is checked against len(b) here, once, instead of every
// offset in the loop. It panics when the slices are too short, before any
// memory is read.
func Tile6x16(k int, a []float32, off []int32, span int, b, c []float32, ldc int) {
	if k < 1 || len(a) < k*TileRows || len(off) < k || len(b) < span ||
		ldc < TileCols || len(c) < (TileRows-1)*ldc+TileCols {
		panic(fmt.Sprintf("kernel: tile of k=%d with len(a)=%d len(off)=%d span=%d len(b)=%d "+
			"len(c)=%d ldc=%d", k, len(a), len(off), span, len(b), len(c), ldc))
	}
	if !hasTile {
		Tile6x16Go(k, a, off, b, c, ldc)
		return
	}
	tile6x16(k, &a[0], &off[0], &b[0], &c[0], ldc)
}

// Tile6x16Go is Tile6x16 in Go, without the checks on span.
func Tile6x16Go(k int, a []float32, off []int32, b, c []float32, ldc int) {
	var acc [TileRows][TileCols]float32
	for t := 0; t < k; t++ {
		w := a[t*TileRows : (t+1)*TileRows]
		x := b[off[t] : int(off[t])+TileCols]
		for i := range TileRows {
			for j := range TileCols {
				acc[i][j] = fma32(w[i], x[j], acc[i][j])
			}
		}
	}
	for i := range TileRows {
		copy(c[i*ldc:i*ldc+TileCols], acc[i][:])
	}
}

// Tile reports whether Tile6x16 runs the assembly loop, and with it whether
// the direct convolution is worth taking over a matrix product.
func Tile() bool { return hasTile }

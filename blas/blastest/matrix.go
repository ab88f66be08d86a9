package blastest

import (
	"math"
	"math/rand/v2"

	"github.com/mariana-dl/mariana/blas"
)

// cSentinel fills the gaps between C's rows. An implementation that writes
// past a row's last column changes it, and the suite notices.
const cSentinel = float32(-12345.5)

// layout says how a test stores its matrices: pad is added to each view's
// Stride, and the gaps it opens hold NaN in A and B and [cSentinel] in C.
type layout struct {
	name string
	pad  int
}

var layouts = []layout{{"dense", 0}, {"padded", 3}}

// randomDense returns rows×cols values drawn uniformly from [-1, 1).
func randomDense(rng *rand.Rand, rows, cols int) []float32 {
	v := make([]float32, rows*cols)
	for i := range v {
		v[i] = 2*rng.Float32() - 1
	}
	return v
}

// store returns a view of the dense rows×cols values whose Stride is
// cols+pad, with gap in every element the view does not cover.
func store(values []float32, rows, cols, pad int, gap float32) blas.General {
	g := blas.General{Rows: rows, Cols: cols, Stride: cols + pad}
	if rows == 0 || cols == 0 {
		return g
	}
	g.Data = make([]float32, (rows-1)*g.Stride+cols)
	for i := range g.Data {
		g.Data[i] = gap
	}
	for i := 0; i < rows; i++ {
		copy(g.Data[i*g.Stride:i*g.Stride+cols], values[i*cols:(i+1)*cols])
	}
	return g
}

// at returns element (i, j) of op(g).
func at(g blas.General, trans blas.Transpose, i, j int) float32 {
	if trans {
		i, j = j, i
	}
	return g.Data[i*g.Stride+j]
}

// snapshot returns the bit patterns of data, so that a later comparison
// sees a changed NaN too.
func snapshot(data []float32) []uint32 {
	bits := make([]uint32, len(data))
	for i, v := range data {
		bits[i] = math.Float32bits(v)
	}
	return bits
}

// sameBits reports the first index where data no longer matches bits, or -1.
func sameBits(data []float32, bits []uint32) int {
	for i, v := range data {
		if math.Float32bits(v) != bits[i] {
			return i
		}
	}
	return -1
}

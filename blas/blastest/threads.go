package blastest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/blas"
)

// invarianceShapes are long enough in k for a BLAS to cut k into blocks,
// at sizes whose blocks a threaded and a one-thread driver may cut
// differently (OpenBLAS 0.3.21 cuts 336 into 176+160 on one thread and
// 168+168 on several), and the MLP's and speech DNN's layers; every one
// is large enough to be run on several threads.
var invarianceShapes = []shape{
	{64, 64, 336}, {200, 150, 700}, {128, 1024, 784}, {1024, 128, 1024},
	{1024, 784, 128}, {96, 160, 2048}, {33, 1000, 1500}, {40, 300, 500},
	{150, 64, 800}, {64, 200, 1100}, {100, 100, 1300}, {48, 96, 3001},
}

// TestSameBits checks that every implementation in impls, typically one
// implementation at several thread counts, computes the same bits as the
// first, in every transpose combination: a training run must not depend on
// the number of cores it is given.
func TestSameBits(t *testing.T, impls ...blas.Impl) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, s := range invarianceShapes {
		for _, tr := range transposes {
			o := newOperands(rng, tr.tA, tr.tB, s)
			ar, ac, br, bc := o.dims()
			a, b := blas.Matrix(ar, ac, o.a), blas.Matrix(br, bc, o.b)
			c0 := randomDense(rng, s.m, s.n)
			var want []uint32
			for i, impl := range impls {
				c := blas.Matrix(s.m, s.n, append([]float32(nil), c0...))
				impl.Sgemm(tr.tA, tr.tB, 0.5, a, b, 0.25, c)
				if i == 0 {
					want = snapshot(c.Data)
					continue
				}
				if j := sameBits(c.Data, want); j >= 0 {
					t.Errorf("%s %s: implementation %d (%d threads) gives %g at %d, "+
						"implementation 0 (%d threads) %g", s, tr.name, i, impl.Threads(),
						c.Data[j], j, impls[0].Threads(), math.Float32frombits(want[j]))
				}
			}
		}
	}
}

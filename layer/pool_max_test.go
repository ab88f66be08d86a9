package layer_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

// maxRank orders floats the way max pooling does: any NaN above +Inf, and
// +0 above -0.
func maxRank(v float32) (nan bool, f float64, posZero bool) {
	return v != v, float64(v), v == 0 && !math.Signbit(float64(v))
}

// maxBeats says whether v is strictly larger than best in maxRank's order.
func maxBeats(v, best float32) bool {
	vn, vf, vz := maxRank(v)
	bn, bf, bz := maxRank(best)
	switch {
	case bn:
		return false
	case vn:
		return true
	case vf != bf:
		return vf > bf
	default:
		return vz && !bz
	}
}

// TestPoolMaxMatchesScan compares max pooling with a plain scan of every
// window in row-major order, on planes full of ties, signed zeros,
// infinities and NaNs of both signs, over kernels, strides and pads that
// take both the unrolled and the general paths, on one and two threads.
func TestPoolMaxMatchesScan(t *testing.T) {
	negNaN := math.Float32frombits(0xffc00000)
	posNaN := math.Float32frombits(0x7fc00001)
	inf := float32(math.Inf(1))
	pool := []float32{-2, -1, -1, 0, float32(math.Copysign(0, -1)), 1, 1, 2, inf, -inf}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ k, s, p, h, w int }{
		{3, 2, 0, 9, 11}, {3, 2, 1, 8, 7}, {2, 2, 0, 6, 8}, {2, 1, 1, 5, 5},
		{3, 1, 2, 6, 6}, {4, 3, 1, 10, 9}, {1, 1, 0, 3, 4}, {5, 2, 2, 7, 12},
	} {
		for trial := range 20 {
			l := layer.NewPool("pool", layer.PoolConfig{Method: layer.PoolMax,
				KernelH: c.k, KernelW: c.k, StrideH: c.s, StrideW: c.s, PadH: c.p, PadW: c.p})
			shape, err := l.Setup([]tensor.Shape{{3, c.h, c.w}})
			if err != nil {
				t.Fatal(err)
			}
			x := tensor.New(2, 3, c.h, c.w)
			for i := range x.Data {
				x.Data[i] = pool[rng.IntN(len(pool))]
				if trial%4 == 3 && rng.IntN(40) == 0 {
					x.Data[i] = []float32{negNaN, posNaN}[rng.IntN(2)]
				}
			}
			out := tensor.New(shape.WithBatch(2)...)
			l.Forward(gradcheck.NewContext(1+trial%2), []*tensor.Tensor{x}, out)

			// The gradient shows where each maximum was taken from.
			dOut := tensor.New(out.Shape...)
			dx := tensor.New(x.Shape...)
			oh, ow := shape[1], shape[2]
			for p := range 6 {
				plane := x.Data[p*c.h*c.w : (p+1)*c.h*c.w]
				for i := range oh {
					for j := range ow {
						best, at := float32(0), -1
						for r := max(i*c.s-c.p, 0); r < min(i*c.s-c.p+c.k, c.h); r++ {
							for q := max(j*c.s-c.p, 0); q < min(j*c.s-c.p+c.k, c.w); q++ {
								if v := plane[r*c.w+q]; at < 0 || maxBeats(v, best) {
									best, at = v, r*c.w+q
								}
							}
						}
						o := p*oh*ow + i*ow + j
						got := out.Data[o]
						clear(dOut.Data)
						dOut.Data[o] = 1
						l.Backward(gradcheck.NewContext(1), []*tensor.Tensor{x}, out, dOut,
							[]*tensor.Tensor{dx})
						from := -1
						for e, d := range dx.Data[p*c.h*c.w : (p+1)*c.h*c.w] {
							if d == 1 {
								from = e
							}
						}
						if best != best {
							if got == got || from < 0 || plane[from] == plane[from] {
								t.Fatalf("%+v plane %d window (%d,%d): got %v from %d, "+
									"want NaN from a NaN", c, p, i, j, got, from)
							}
							continue
						}
						if math.Float32bits(got) != math.Float32bits(best) || from != at {
							t.Fatalf("%+v plane %d window (%d,%d): got %v from %d, want %v "+
								"from %d", c, p, i, j, got, from, best, at)
						}
					}
				}
			}
		}
	}
}

package layer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestReLUBitsMatchComparisons checks the branch-free relu and reluGrad
// against their definitions by comparison, bit for bit, on the special
// values (signed zeros, subnormals, infinities, NaNs of both signs) and on
// a million random bit patterns.
func TestReLUBitsMatchComparisons(t *testing.T) {
	wantRelu := func(v float32) float32 {
		if v < 0 {
			return 0
		}
		return v
	}
	wantGrad := func(x, dy float32) float32 {
		if x > 0 {
			return dy
		}
		return 0
	}
	special := []uint32{0, 0x80000000, 1, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000,
		0x3f800000, 0xbf800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000,
		0x7f800001, 0xff800001, 0x7fc00000, 0xffc00000, 0x7fffffff, 0xffffffff}
	check := func(b uint32, dy float32) {
		v := math.Float32frombits(b)
		if got, want := math.Float32bits(relu(v)), math.Float32bits(wantRelu(v)); got != want {
			t.Fatalf("relu(%#08x) = %#08x, want %#08x", b, got, want)
		}
		got, want := math.Float32bits(reluGrad(v, dy)), math.Float32bits(wantGrad(v, dy))
		if got != want {
			t.Fatalf("reluGrad(%#08x, %g) = %#08x, want %#08x", b, dy, got, want)
		}
	}
	for _, b := range special {
		check(b, -2.5)
		check(b, float32(math.Copysign(0, -1)))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 1 << 20 {
		check(rng.Uint32(), math.Float32frombits(rng.Uint32()))
	}
}

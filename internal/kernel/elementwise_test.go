package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// sameBits reports whether a and b are the same float32, any NaN matching
// any NaN (their payloads may follow either operand).
func sameBits(a, b float32) bool {
	if a != a && b != b {
		return true
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

// elementwiseValues returns n values with, from the third on, specials
// mixed into random ones: zeros of both signs, infinities, NaN, subnormals
// and values whose products overflow or underflow.
func elementwiseValues(rng *rand.Rand, n int) []float32 {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)),
		float32(math.Inf(-1)), float32(math.NaN()), math.SmallestNonzeroFloat32, 1e-39,
		math.MaxFloat32, -3e38, 1e-30}
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
		if i > 2 && rng.IntN(4) == 0 {
			s[i] = specials[rng.IntN(len(specials))]
		}
	}
	return s
}

func TestAddMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 80 {
		dst, src := elementwiseValues(rng, n), elementwiseValues(rng, n+3)
		want := append([]float32(nil), dst...)
		AddGo(want, src)
		Add(dst, src)
		for i := range dst {
			if !sameBits(dst[i], want[i]) {
				t.Fatalf("n=%d: dst[%d] = %v, want %v", n, i, dst[i], want[i])
			}
		}
	}
}

// rule is one of the solvers' update rules, in assembly and in Go; h is
// nil for SGD, which keeps no history.
type rule struct {
	name   string
	kernel func(w, grad, h []float32, rate, decay, c float32)
	goRef  func(w, grad, h []float32, rate, decay, c float32)
}

var rules = []rule{
	{"momentum", Momentum, MomentumGo},
	{"nesterov", Nesterov, NesterovGo},
	{"adagrad", AdaGrad, AdaGradGo},
	{"sgd", func(w, g, _ []float32, r, d, _ float32) { SGD(w, g, r, d) },
		func(w, g, _ []float32, r, d, _ float32) { SGDGo(w, g, r, d) }},
}

func TestRulesMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, r := range rules {
		for n := range 80 {
			w, grad, h := elementwiseValues(rng, n), elementwiseValues(rng, n+1),
				elementwiseValues(rng, n+2)
			if r.name == "adagrad" && n%2 == 0 {
				// Sums of squares as AdaGrad keeps them, and so roots of
				// ordinary numbers.
				for i := range h {
					h[i] = h[i] * h[i]
				}
			}
			wantW, wantH := append([]float32(nil), w...), append([]float32(nil), h...)
			rate, decay, c := float32(0.05), float32(1e-4), float32(0.9)
			if n%3 == 0 {
				rate, decay, c = 1e-3, 0, 1e-8
			}
			r.goRef(wantW, grad, wantH, rate, decay, c)
			r.kernel(w, grad, h, rate, decay, c)
			for i := range w {
				if !sameBits(w[i], wantW[i]) || !sameBits(h[i], wantH[i]) {
					t.Fatalf("%s, n=%d, element %d: w %v h %v, want w %v h %v", r.name, n, i,
						w[i], h[i], wantW[i], wantH[i])
				}
			}
		}
	}
}

// The momentum step on a run of ordinary values gives the numbers of its
// definition, so the Go reference itself is held to something.
func TestMomentumGoStep(t *testing.T) {
	w, grad, v := []float32{1, -2}, []float32{0.5, 0.25}, []float32{0.1, -0.2}
	MomentumGo(w, grad, v, 0.1, 0.01, 0.9)
	// g = 0.5 + 0.01 = 0.51, v = 0.09 - 0.051 = 0.039, w = 1.039;
	// g = 0.25 - 0.02 = 0.23, v = -0.18 - 0.023 = -0.203, w = -2.203.
	for i, want := range [][2]float32{{1.039, 0.039}, {-2.203, -0.203}} {
		if math.Abs(float64(w[i]-want[0])) > 1e-6 || math.Abs(float64(v[i]-want[1])) > 1e-6 {
			t.Errorf("element %d: w %v v %v, want %v %v", i, w[i], v[i], want[0], want[1])
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	// The MLP's gradient partition of one of two devices: 3.7 MB.
	dst, src := make([]float32, 930_000), make([]float32, 930_000)
	b.SetBytes(4 * int64(len(dst)))
	for _, c := range []struct {
		name string
		add  func(dst, src []float32)
	}{{"go", AddGo}, {"kernel", Add}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				c.add(dst, src)
			}
		})
	}
}

func BenchmarkRules(b *testing.B) {
	// The MLP's parameters: 1.86 million.
	n := 1_863_690
	w, grad, h := make([]float32, n), make([]float32, n), make([]float32, n)
	b.SetBytes(4 * int64(n))
	for _, r := range rules {
		b.Run(r.name+"/go", func(b *testing.B) {
			for b.Loop() {
				r.goRef(w, grad, h, 0.05, 1e-4, 0.9)
			}
		})
		b.Run(r.name+"/kernel", func(b *testing.B) {
			for b.Loop() {
				r.kernel(w, grad, h, 0.05, 1e-4, 0.9)
			}
		})
	}
}

package kernel

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDotMatchesGo checks Dot against the float64 sums of DotGo, on the
// lengths of the convolutions it serves and on padded strides, and that
// it adds to c rather than overwriting it and leaves the rest of c alone.
func TestDotMatchesGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{8, 16, 64, 256, 1024} {
		for _, f := range []int{4, 8, 32, 52} {
			ldx, ldy, ldc := n+rng.IntN(3), n+rng.IntN(3), f+rng.IntN(3)
			x := randSlice(rng, (DotRows-1)*ldx+n)
			y := randSlice(rng, (f-1)*ldy+n)
			c := randSlice(rng, (DotRows-1)*ldc+f)
			ref := append([]float32(nil), c...)
			Dot(n, x, ldx, y, ldy, f, c, ldc)
			DotGo(n, x, ldx, y, ldy, f, ref, ldc)
			for i := range c {
				if i%ldc >= f {
					if c[i] != ref[i] {
						t.Fatalf("n=%d f=%d: wrote c[%d] outside the block", n, f, i)
					}
					continue
				}
				// Float32 lanes over n values against one float64 sum.
				tol := 1e-5 * float64(n)
				if d := math.Abs(float64(c[i] - ref[i])); d > tol {
					t.Fatalf("n=%d f=%d: c[%d] = %v, want %v", n, f, i, c[i], ref[i])
				}
			}
		}
	}
}

// TestDotRunsMatchesDot checks that DotRuns gives the bits Dot gives on
// the same runs laid end to end, that it matches the float64 sums of
// DotRunsGo, and that it reads nothing between the runs: the gaps hold
// NaN.
func TestDotRunsMatchesDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct{ runs, length, stride, f int }{
		{1, 8, 8, 4}, {16, 16, 20, 32}, {32, 32, 36, 16}, {8, 8, 12, 8}, {3, 24, 31, 12},
	} {
		span := (tc.runs-1)*tc.stride + tc.length
		ldx, n := span+rng.IntN(40), tc.runs*tc.length
		x := randSlice(rng, (DotRows-1)*ldx+span)
		packed := make([]float32, DotRows*n)
		for i := range DotRows {
			for r := range tc.runs {
				for p := range tc.stride {
					at := i*ldx + r*tc.stride + p
					if p >= tc.length {
						if at < len(x) {
							x[at] = float32(math.NaN())
						}
						continue
					}
					packed[i*n+r*tc.length+p] = x[at]
				}
			}
		}
		y := randSlice(rng, tc.f*n)
		c := randSlice(rng, DotRows*tc.f)
		want := append([]float32(nil), c...)
		ref := append([]float32(nil), c...)
		DotRuns(tc.runs, tc.length, tc.stride, x, ldx, y, n, tc.f, c, tc.f)
		Dot(n, packed, n, y, n, tc.f, want, tc.f)
		DotRunsGo(tc.runs, tc.length, tc.stride, x, ldx, y, n, tc.f, ref, tc.f)
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%+v: c[%d] = %v, Dot on the packed runs gives %v", tc, i, c[i],
					want[i])
			}
			if d := math.Abs(float64(c[i] - ref[i])); d > 1e-5*float64(n) {
				t.Fatalf("%+v: c[%d] = %v, want %v", tc, i, c[i], ref[i])
			}
		}
	}
}

// TestDotChecksSizes checks that bad sizes panic.
func TestDotChecksSizes(t *testing.T) {
	x, y, c := make([]float32, 64), make([]float32, 32), make([]float32, 16)
	for name, call := range map[string]func(){
		"odd n":   func() { Dot(12, x, 16, y, 16, 4, c, 4) },
		"odd f":   func() { Dot(8, x, 16, y, 16, 2, c, 2) },
		"short x": func() { Dot(16, x[:47], 16, y, 16, 4, c, 4) },
		"short y": func() { Dot(8, x, 8, y[:31], 8, 4, c, 4) },
		"short c": func() { Dot(16, x, 16, y, 16, 4, c[:11], 4) },
		"odd run": func() { DotRuns(2, 12, 12, x, 24, y, 24, 4, c, 4) },
		"stride":  func() { DotRuns(2, 8, 4, x, 16, y, 16, 4, c, 4) },
		"short runs": func() {
			DotRuns(2, 8, 12, x[:2*20+19], 20, y, 16, 4, c, 4)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			call()
		}()
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// BenchmarkDot times the weight gradient of cifar10-quick's second
// convolution for one sample (800 rows of 256 against 32), in GFLOP/s.
func BenchmarkDot(b *testing.B) {
	const k, n, f = 798, 256, 32
	x, y, c := make([]float32, k*n), make([]float32, f*n), make([]float32, k*f)
	for range b.N {
		for r := 0; r < k; r += DotRows {
			Dot(n, x[r*n:], n, y, n, f, c[r*f:], f)
		}
	}
	b.ReportMetric(float64(b.N)*2*k*n*f/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// tileCase is a tile over random operands: k steps whose offsets wander
// over b as a convolution's do (runs of consecutive values, then jumps).
type tileCase struct {
	k      int
	a, b   []float32
	off    []int32
	span   int
	ldc    int
	c, ref []float32
}

func newTileCase(rng *rand.Rand, s Shape, k, half, ldc int) *tileCase {
	tc := &tileCase{k: k, ldc: ldc, a: make([]float32, k*s.Rows), off: make([]int32, k)}
	for i := range tc.a {
		tc.a[i] = float32(rng.NormFloat64())
	}
	pos := 0
	for t := range tc.off {
		if t%5 == 0 {
			pos += rng.IntN(40)
		} else {
			pos++
		}
		tc.off[t] = int32(pos)
	}
	tc.span = pos + s.Cols
	if half > 0 {
		tc.span = pos + half + 8
	}
	tc.b = make([]float32, tc.span+rng.IntN(3))
	for i := range tc.b {
		tc.b[i] = float32(rng.NormFloat64())
	}
	tc.c = make([]float32, (s.Rows-1)*ldc+s.Cols)
	tc.ref = make([]float32, len(tc.c))
	for i := range tc.c {
		tc.c[i] = float32(math.NaN()) // every element of the tile must be written
		tc.ref[i] = tc.c[i]
	}
	return tc
}

// TestTileMatchesGo checks the tile against Tile6x16Go, element by
// element, on the shapes of the convolutions it serves and odd ones, and
// that it leaves the elements between the rows alone.
func TestTileMatchesGo(t *testing.T) {
	if !Available() {
		t.Log("no assembly tile on this CPU; checking the Go loop against itself")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range []struct {
		s    Shape
		half int
	}{{Wide, 8}, {Wide, 12}, {Wide, 37}, {Narrow, 0}} {
		s := sh.s
		for _, k := range []int{1, 2, 7, 75, 128, 800, 801} {
			for _, ldc := range []int{16, 17, 64, 256, 1024} {
				tc := newTileCase(rng, s, k, sh.half, ldc)
				Tile(s, k, tc.a, tc.off, tc.span, tc.b, sh.half, tc.c, ldc)
				TileGo(s, k, tc.a, tc.off, tc.b, sh.half, tc.ref, ldc)
				for i := range tc.c {
					got, want := tc.c[i], tc.ref[i]
					if i%ldc >= s.Cols {
						if !math.IsNaN(float64(got)) {
							t.Fatalf("%v k=%d ldc=%d: wrote c[%d] = %v between the rows", s, k,
								ldc, i, got)
						}
						continue
					}
					if got != want && !oneStep(got, want) {
						t.Fatalf("%v k=%d ldc=%d: c[%d] = %v, want %v", s, k, ldc, i, got, want)
					}
				}
			}
		}
	}
}

// oneStep reports whether a and b are adjacent float32 values (see fma32).
func oneStep(a, b float32) bool {
	d := int64(math.Float32bits(a)) - int64(math.Float32bits(b))
	return (d == 1 || d == -1) && (a > 0) == (b > 0)
}

// TestTileChecksBounds checks that short operands panic before the loop.
func TestTileChecksBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tc := newTileCase(rng, Wide, 10, 8, 16)
	w := Wide
	for name, call := range map[string]func(){
		"short b":   func() { Tile(w, 10, tc.a, tc.off, tc.span, tc.b[:tc.span-1], 8, tc.c, 16) },
		"short a":   func() { Tile(w, 10, tc.a[:59], tc.off, tc.span, tc.b, 8, tc.c, 16) },
		"short off": func() { Tile(w, 10, tc.a, tc.off[:9], tc.span, tc.b, 8, tc.c, 16) },
		"short c": func() {
			Tile(w, 10, tc.a, tc.off, tc.span, tc.b, 8, tc.c[:len(tc.c)-1], 16)
		},
		"narrow c":   func() { Tile(w, 10, tc.a, tc.off, tc.span, tc.b, 8, tc.c, 15) },
		"empty k":    func() { Tile(w, 0, tc.a, tc.off, tc.span, tc.b, 8, tc.c, 16) },
		"odd shape":  func() { Tile(Shape{3, 16}, 10, tc.a, tc.off, tc.span, tc.b, 8, tc.c, 16) },
		"short half": func() { Tile(w, 10, tc.a, tc.off, tc.span, tc.b, 7, tc.c, 16) },
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

// BenchmarkTile times the tiles over cifar10-quick's second convolution
// (k = 800 offsets into a padded 32×20×20 sample), in GFLOP/s.
func BenchmarkTile(b *testing.B) {
	for _, s := range []Shape{Wide, Narrow} {
		b.Run(fmt.Sprintf("%dx%d", s.Rows, s.Cols), func(b *testing.B) { benchTile(b, s) })
	}
}

func benchTile(b *testing.B, s Shape) {
	const c, hp, wp = 32, 20, 20
	off := make([]int32, 0, c*25)
	for ch := range c {
		for kh := range 5 {
			for kw := range 5 {
				off = append(off, int32(ch*hp*wp+kh*wp+kw))
			}
		}
	}
	k := len(off)
	a := make([]float32, k*s.Rows)
	x := make([]float32, c*hp*wp)
	out := make([]float32, s.Rows*256)
	span := int(off[k-1]) + s.Cols
	b.ResetTimer()
	for range b.N {
		for oh := range 16 {
			for ow := 0; ow < 16; ow += s.Cols {
				half := 8
				if s == Narrow {
					half = 0
				}
				Tile(s, k, a, off, span, x[oh*wp+ow:], half, out[oh*16+ow:], 256)
			}
		}
	}
	b.ReportMetric(float64(b.N)*256*2*float64(s.Rows)*float64(k)/b.Elapsed().Seconds()/1e9,
		"GFLOP/s")
}

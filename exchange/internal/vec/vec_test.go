package vec

import (
	"math"
	"testing"
)

func TestAddMatchesScalarLoop(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 17, 64, 101} {
		dst := make([]float32, n)
		src := make([]float32, n+3)
		want := make([]float32, n)
		for i := range dst {
			dst[i] = float32(i)*0.37 - 5
			src[i] = 1 / float32(i+1)
			want[i] = dst[i] + src[i]
		}
		Add(dst, src)
		for i := range dst {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: dst[%d] = %v, want %v", n, i, dst[i], want[i])
			}
		}
	}
}

// TestPortablePathMatchesView checks that the portable encoding is the
// little-endian layout, and on a little-endian machine that it equals the
// in-place view the transports use.
func TestPortablePathMatchesView(t *testing.T) {
	src := []float32{0, -0, 1, -1.5, float32(math.Inf(1)), float32(math.NaN()), 1e-40, 3.4e38}
	enc := make([]byte, 4*len(src))
	Encode(enc, src)
	if enc[8] != 0x00 || enc[9] != 0x00 || enc[10] != 0x80 || enc[11] != 0x3f {
		t.Fatalf("1.0 encoded as % x, want 00 00 80 3f", enc[8:12])
	}

	got := make([]float32, len(src))
	Decode(got, enc)
	for i := range src {
		if math.Float32bits(got[i]) != math.Float32bits(src[i]) {
			t.Fatalf("decode[%d] = %v, want %v", i, got[i], src[i])
		}
	}

	acc := []float32{1, 1, 1, 1, 1, 1, 1, 1}
	AddEncoded(acc, enc)
	for i := range src {
		want := 1 + src[i]
		if math.Float32bits(acc[i]) != math.Float32bits(want) && !math.IsNaN(float64(want)) {
			t.Fatalf("add[%d] = %v, want %v", i, acc[i], want)
		}
	}

	if LittleEndian {
		view := Bytes(src)
		for i := range enc {
			if view[i] != enc[i] {
				t.Fatalf("view byte %d = %#x, encoding has %#x", i, view[i], enc[i])
			}
		}
	}
	if Bytes(nil) != nil {
		t.Fatal("Bytes(nil) is not nil")
	}
}

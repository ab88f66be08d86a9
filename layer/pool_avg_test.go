package layer

import (
	"math"
	"math/rand/v2"
	"testing"
)

// averageGeneral is average pooling of one plane by the general loops alone,
// the path every window took before avgRow3 and avgBackRow3.
func averageGeneral(g *windowGeom, x, y, dy, dx []float32) {
	for i := 0; i < g.OutH; i++ {
		r0, r1, nr := g.windowRows(i)
		for j := 0; j < g.OutW; j++ {
			c0, c1, nc := g.windowCols(j)
			var sum float32
			for r := r0; r < r1; r++ {
				for _, v := range x[r*g.Width+c0 : r*g.Width+c1] {
					sum += v
				}
			}
			y[i*g.OutW+j] = sum / float32(nr*nc)

			d := dy[i*g.OutW+j] / float32(nr*nc)
			for r := r0; r < r1; r++ {
				row := dx[r*g.Width+c0 : r*g.Width+c1]
				for c := range row {
					row[c] += d
				}
			}
		}
	}
}

// TestAverageFastPathsMatchGeneral checks that the three-by-three paths of
// average pooling give the general loops' results bit for bit, forward and
// backward, on geometries where windows are interior, clipped by padding
// and clipped by the ceil-mode last window, and on signed zeros.
func TestAverageFastPathsMatchGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ h, w, kh, stride, pad int }{
		{16, 16, 3, 2, 0}, {8, 8, 3, 2, 0}, {9, 7, 3, 2, 1}, {6, 6, 3, 1, 0},
		{7, 10, 3, 1, 1}, {5, 5, 2, 2, 0}, {12, 11, 3, 3, 2},
	} {
		g := windowGeom{Channels: 1, Height: tc.h, Width: tc.w, KernelH: tc.kh, KernelW: 3,
			StrideH: tc.stride, StrideW: tc.stride, PadH: tc.pad, PadW: tc.pad}
		g.OutH = poolOutSize(tc.h, tc.kh, tc.stride, tc.pad)
		g.OutW = poolOutSize(tc.w, 3, tc.stride, tc.pad)
		for _, zeros := range []bool{false, true} {
			x := make([]float32, tc.h*tc.w)
			dy := make([]float32, g.OutH*g.OutW)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
				if zeros {
					x[i] = float32(math.Copysign(0, -1))
				}
			}
			for i := range dy {
				dy[i] = float32(rng.NormFloat64())
			}
			want, got := make([]float32, len(dy)), make([]float32, len(dy))
			wantDx, gotDx := make([]float32, len(x)), make([]float32, len(x))
			averageGeneral(&g, x, want, dy, wantDx)
			averagePlane(&g, x, got)
			averageBackward(&g, dy, gotDx)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v zeros=%v: output %d is %g, general loop %g", tc, zeros, i,
						got[i], want[i])
				}
			}
			for i := range wantDx {
				if math.Float32bits(gotDx[i]) != math.Float32bits(wantDx[i]) {
					t.Fatalf("%+v: input gradient %d is %g, general loop %g", tc, i,
						gotDx[i], wantDx[i])
				}
			}
		}
	}
}

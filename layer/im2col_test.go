package layer

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveIm2col is im2col from its definition: one element at a time, with
// a bounds test each.
func naiveIm2col(g *windowGeom, x, col []float32) {
	ohw := g.OutH * g.OutW
	for c := 0; c < g.Channels; c++ {
		for kh := 0; kh < g.KernelH; kh++ {
			for kw := 0; kw < g.KernelW; kw++ {
				row := (c*g.KernelH+kh)*g.KernelW + kw
				for oh := 0; oh < g.OutH; oh++ {
					for ow := 0; ow < g.OutW; ow++ {
						ih := oh*g.StrideH - g.PadH + kh
						iw := ow*g.StrideW - g.PadW + kw
						v := float32(0)
						if ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width {
							v = x[(c*g.Height+ih)*g.Width+iw]
						}
						col[row*ohw+oh*g.OutW+ow] = v
					}
				}
			}
		}
	}
}

// naiveCol2im is col2im from its definition, the transpose of
// naiveIm2col: each column entry is added to the input element it came
// from, in the same order as naiveIm2col visits them.
func naiveCol2im(g *windowGeom, col, x []float32) {
	clear(x[:g.Channels*g.Height*g.Width])
	ohw := g.OutH * g.OutW
	for c := 0; c < g.Channels; c++ {
		for kh := 0; kh < g.KernelH; kh++ {
			for kw := 0; kw < g.KernelW; kw++ {
				row := (c*g.KernelH+kh)*g.KernelW + kw
				for oh := 0; oh < g.OutH; oh++ {
					for ow := 0; ow < g.OutW; ow++ {
						ih := oh*g.StrideH - g.PadH + kh
						iw := ow*g.StrideW - g.PadW + kw
						if ih >= 0 && ih < g.Height && iw >= 0 && iw < g.Width {
							x[(c*g.Height+ih)*g.Width+iw] += col[row*ohw+oh*g.OutW+ow]
						}
					}
				}
			}
		}
	}
}

// convGeoms returns the geometries the im2col tests sweep: every
// combination of small sizes, kernels, strides and pads that gives at
// least one output, including pads larger than the kernel.
func convGeoms() []windowGeom {
	var gs []windowGeom
	for _, hw := range [][2]int{{1, 1}, {5, 5}, {4, 7}, {8, 3}} {
		for _, k := range [][2]int{{1, 1}, {3, 3}, {2, 5}, {4, 1}} {
			for _, s := range [][2]int{{1, 1}, {2, 2}, {3, 1}} {
				for _, p := range [][2]int{{0, 0}, {1, 1}, {2, 0}, {0, 3}, {5, 4}} {
					g := windowGeom{Channels: 2, Height: hw[0], Width: hw[1],
						KernelH: k[0], KernelW: k[1], StrideH: s[0], StrideW: s[1],
						PadH: p[0], PadW: p[1]}
					if g.KernelH > g.Height+2*g.PadH || g.KernelW > g.Width+2*g.PadW {
						continue
					}
					g.OutH = (g.Height+2*g.PadH-g.KernelH)/g.StrideH + 1
					g.OutW = (g.Width+2*g.PadW-g.KernelW)/g.StrideW + 1
					gs = append(gs, g)
				}
			}
		}
	}
	return gs
}

func TestIm2colMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range convGeoms() {
		x := make([]float32, g.Channels*g.Height*g.Width)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		want := make([]float32, g.colRows()*g.colCols())
		naiveIm2col(&g, x, want)

		// Start from garbage: every entry must be written.
		got := make([]float32, len(want))
		for i := range got {
			got[i] = 99
		}
		im2col(&g, x, got)
		if !slices.Equal(got, want) {
			t.Errorf("im2col %+v:\n got %v\nwant %v", g, got, want)
		}

		col := make([]float32, len(want))
		for i := range col {
			col[i] = float32(rng.NormFloat64())
		}
		wantX := make([]float32, len(x))
		naiveCol2im(&g, col, wantX)
		gotX := make([]float32, len(x))
		for i := range gotX {
			gotX[i] = 99
		}
		col2im(&g, col, gotX)
		for i := range wantX {
			if d := gotX[i] - wantX[i]; d > 1e-5 || d < -1e-5 {
				t.Errorf("col2im %+v: x[%d] = %v, want %v", g, i, gotX[i], wantX[i])
				break
			}
		}
	}
}

// BenchmarkIm2col times im2col and col2im on the LeNet and cifar10-quick
// convolutions, per sample.
func BenchmarkIm2col(b *testing.B) {
	for _, tc := range []struct {
		name string
		g    windowGeom
	}{
		{"lenet1", windowGeom{Channels: 1, Height: 28, Width: 28, KernelH: 5, KernelW: 5,
			StrideH: 1, StrideW: 1, OutH: 24, OutW: 24}},
		{"lenet2", windowGeom{Channels: 20, Height: 12, Width: 12, KernelH: 5, KernelW: 5,
			StrideH: 1, StrideW: 1, OutH: 8, OutW: 8}},
		{"cifar1", windowGeom{Channels: 3, Height: 32, Width: 32, KernelH: 5, KernelW: 5,
			StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, OutH: 32, OutW: 32}},
		{"cifar2", windowGeom{Channels: 32, Height: 16, Width: 16, KernelH: 5, KernelW: 5,
			StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, OutH: 16, OutW: 16}},
		{"cifar3", windowGeom{Channels: 32, Height: 8, Width: 8, KernelH: 5, KernelW: 5,
			StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, OutH: 8, OutW: 8}},
		{"alexnet1", windowGeom{Channels: 3, Height: 227, Width: 227, KernelH: 11,
			KernelW: 11, StrideH: 4, StrideW: 4, OutH: 55, OutW: 55}},
	} {
		x := make([]float32, tc.g.Channels*tc.g.Height*tc.g.Width)
		col := make([]float32, tc.g.colRows()*tc.g.colCols())
		b.Run(fmt.Sprintf("im2col/%s", tc.name), func(b *testing.B) {
			for range b.N {
				im2col(&tc.g, x, col)
			}
		})
		b.Run(fmt.Sprintf("col2im/%s", tc.name), func(b *testing.B) {
			for range b.N {
				col2im(&tc.g, col, x)
			}
		})
	}
}

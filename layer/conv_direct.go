package layer

import "github.com/mariana-dl/mariana/internal/kernel"

// directConv computes a stride-1 convolution of one group of one sample
// tile by tile (package kernel), reading the input from a padded copy
// instead of unrolling it into a column matrix.
//
// Note [Direct convolution]. With stride 1, the input element that weight
// (c, p, q) meets at output (i, j) sits in the padded input at
// c·Hp·Wp + (i+p)·Wp + (j+q): a fixed offset of the weight, off[c,p,q] =
// c·Hp·Wp + p·Wp + q, plus one of the output, i·Wp + j. So a tile of
// outputs for a few filters is a sum over the K = C·KernelH·KernelW
// weights of a broadcast weight times a run of inputs at the tile's base
// plus off[k], accumulated in registers (kernel.Tile). The matrix-product
// path writes the K×OH·OW column matrix and OpenBLAS then copies it again
// into its packed panels; here the padded sample (tens of kilobytes) is
// read in place, from cache. The tile sums each output over k in order
// with fused multiply-adds, so the bits depend on the operands alone,
// never on the threads or on how filters are grouped into tiles (a column
// split of the filters gives the same bits).
//
// It serves outputs whose rows are a multiple of 8 long, on CPUs where
// package kernel has its assembly: 6 filters by 16 outputs of a row
// (cifar10-quick's 32×32 and 16×16) or of two rows of 8 (its 8×8, LeNet's
// 8×8), else 12 filters by 8 outputs (LeNet's 24×24); other shapes take
// the matrix product. The weight gradient reads a padded copy too, with
// the dot kernel (Note [Weight gradient from the padded input]).
//
// TODO: strided convolutions, channel groups and rows that are not a
// multiple of 8 (alexnet-small's) take im2col and OpenBLAS; a tile with
// strided inputs and a loop over groups would serve them.
type directConv struct {
	filters, k int
	height, hp int // input rows, unpadded and padded
	width, wp  int // input columns, unpadded and padded
	padH, padW int
	outH, outW int
	channels   int
	off        []int32 // off[k] of the note
	span       int     // what a tile may read past its base (kernel.Tile)
	tile       kernel.Shape
	half       int       // where a Wide tile's second 8 inputs start (kernel.Tile)
	at         []int32   // each tile's first input in the padded input and output, in pairs
	packed     []float32 // tiles × k × tile.Rows weights, zero past filters
}

// newDirectConv returns the direct form of the convolution g with filters
// filters, or nil when g does not suit it.
func newDirectConv(g *windowGeom, filters int) *directConv {
	if !kernel.Available() || g.StrideH != 1 || g.StrideW != 1 {
		return nil
	}
	d := &directConv{
		filters: filters, k: g.colRows(), channels: g.Channels,
		height: g.Height, hp: g.Height + 2*g.PadH,
		width: g.Width, wp: g.Width + 2*g.PadW,
		padH: g.PadH, padW: g.PadW, outH: g.OutH, outW: g.OutW,
	}

	// Each tile covers 16 outputs of a row, or 8 of two rows (its two
	// runs of inputs a padded row apart), or, in any other row a multiple
	// of 8 long, 8 outputs of a row for 12 filters.
	switch {
	case g.OutW%16 == 0:
		d.tile, d.half = kernel.Wide, 8
		for i := range g.OutH {
			for j := 0; j < g.OutW; j += 16 {
				d.at = append(d.at, int32(i*d.wp+j), int32(i*g.OutW+j))
			}
		}
	case g.OutW == 8 && g.OutH%2 == 0:
		d.tile, d.half = kernel.Wide, d.wp
		for i := 0; i < g.OutH; i += 2 {
			d.at = append(d.at, int32(i*d.wp), int32(i*8))
		}
	case g.OutW%8 == 0:
		d.tile = kernel.Narrow
		for i := range g.OutH {
			for j := 0; j < g.OutW; j += 8 {
				d.at = append(d.at, int32(i*d.wp+j), int32(i*g.OutW+j))
			}
		}
	default:
		return nil
	}

	d.off = make([]int32, 0, d.k)
	for c := 0; c < g.Channels; c++ {
		for p := 0; p < g.KernelH; p++ {
			for q := 0; q < g.KernelW; q++ {
				d.off = append(d.off, int32(c*d.hp*d.wp+p*d.wp+q))
			}
		}
	}
	d.span = int(d.off[len(d.off)-1]) + max(d.half, 0) + 8
	tiles := (filters + d.tile.Rows - 1) / d.tile.Rows
	d.packed = make([]float32, tiles*d.k*d.tile.Rows)
	return d
}

// scratchLen returns the length of a worker's scratch for run: the padded
// input, then one tile for the last, partial group of filters.
func (d *directConv) scratchLen() int {
	return d.channels*d.hp*d.wp + d.tile.Rows*d.tile.Cols
}

// pack lays out the filters × k weights w tile by tile, each tile k rows of
// tile.Rows weights, the rows past the last filter zero.
func (d *directConv) pack(w []float32) {
	rows := d.tile.Rows
	for t := 0; t*rows < d.filters; t++ {
		dst := d.packed[t*d.k*rows : (t+1)*d.k*rows]
		for i := range rows {
			f := t*rows + i
			if f >= d.filters {
				for k := range d.k {
					dst[k*rows+i] = 0
				}
				continue
			}
			src := w[f*d.k : (f+1)*d.k]
			for k, v := range src {
				dst[k*rows+i] = v
			}
		}
	}
}

// pad copies the channels × height × width input x into the interior of
// xp, whose border stays as it is.
func (d *directConv) pad(x, xp []float32) {
	padPlanes(x, xp, d.channels, d.height, d.width, d.hp, d.wp, d.padH, d.padW)
}

// padPlanes copies channels planes of height × width values from x into
// the interior of xp's planes of hp × wp, padH rows and padW columns in;
// the border stays as it is.
func padPlanes(x, xp []float32, channels, height, width, hp, wp, padH, padW int) {
	for c := range channels {
		for i := range height {
			src := x[(c*height+i)*width : (c*height+i+1)*width]
			copy(xp[(c*hp+i+padH)*wp+padW:][:width], src)
		}
	}
}

// run computes the filters × outH·outW output y of the channels × height ×
// width input x with the packed weights, in a worker's scratch of
// scratchLen values, whose padding must be zero: it is never written.
func (d *directConv) run(x, scratch, y []float32) {
	rows, cols := d.tile.Rows, d.tile.Cols
	xp, tile := scratch[:len(scratch)-rows*cols], scratch[len(scratch)-rows*cols:]
	d.pad(x, xp)
	ohw := d.outH * d.outW
	for t := 0; t*rows < d.filters; t++ {
		a := d.packed[t*d.k*rows : (t+1)*d.k*rows]
		partial := (t+1)*rows > d.filters
		for p := 0; p < len(d.at); p += 2 {
			x, out := xp[d.at[p]:], int(d.at[p+1])
			if !partial {
				kernel.Tile(d.tile, d.k, a, d.off, d.span, x, d.half, y[t*rows*ohw+out:], ohw)
				continue
			}
			kernel.Tile(d.tile, d.k, a, d.off, d.span, x, d.half, tile, cols)
			for r := 0; t*rows+r < d.filters; r++ {
				copy(y[(t*rows+r)*ohw+out:][:cols], tile[r*cols:(r+1)*cols])
			}
		}
	}
}

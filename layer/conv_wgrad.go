package layer

import "github.com/mariana-dl/mariana/internal/kernel"

// paddedGrad computes the weight gradient of a stride-1 convolution of one
// group of one sample from a padded copy of its input, without the column
// matrix.
//
// Note [Weight gradient from the padded input]. The gradient of weight
// (f, c, p, q) is Σ over outputs (i, j) of dy[f, i, j] times the padded
// input xp[c, i+p, j+q]: the dot product of dy's row for f with OH runs of
// OW inputs, run i starting at c·Hp·Wp + (i+p)·Wp + q, the offsets of the
// forward (Note [Direct convolution]). kernel.DotRuns reads those runs in
// place, three channels at a time, where the matrix-product form first
// writes the K×OH·OW column matrix (800×256 values per sample for
// cifar10-quick's conv2, more than a core's L2) and then reads it back.
// A worker that holds only some of the filters (a column of a
// model-parallel split) pays for the column matrix in full; here its cost
// shrinks with its filters.
//
// Every gradient element is one dot product of two fixed vectors, summed
// in the kernel's fixed order, exactly as kernel.Dot sums the column
// matrix's rows: the bits are those of the column-matrix form, and depend
// on the operands alone, not on the thread count, nor on which filters a
// worker holds, nor on which channels share a call.
type paddedGrad struct {
	channels, filters int
	height, width     int
	hp, wp            int // padded input
	padH, padW        int
	kh, kw            int
	outH, outW        int
}

// newPaddedGrad returns the padded form of the weight gradient of the
// convolution g with filters filters, or nil where it does not apply:
// strides other than 1, output rows not a multiple of 8 long, fewer than
// minDotLen outputs (where Conv2D.weightGrad takes OpenBLAS, measured as
// fast on cifar10-quick's 8×8 conv3), fewer than kernel.DotRows channels,
// filters not a multiple of 4, or a CPU without package kernel's
// assembly.
func newPaddedGrad(g *windowGeom, filters int) *paddedGrad {
	if !kernel.Available() || g.StrideH != 1 || g.StrideW != 1 || g.OutW%8 != 0 ||
		g.OutH*g.OutW < minDotLen || g.Channels < kernel.DotRows || filters%4 != 0 {
		return nil
	}
	return &paddedGrad{
		channels: g.Channels, filters: filters, height: g.Height, width: g.Width,
		hp: g.Height + 2*g.PadH, wp: g.Width + 2*g.PadW, padH: g.PadH, padW: g.PadW,
		kh: g.KernelH, kw: g.KernelW, outH: g.OutH, outW: g.OutW,
	}
}

// scratchLen returns the length of a worker's scratch for run: the padded
// input, then DotRows rows of gradients for the channels left over by the
// groups of three.
func (d *paddedGrad) scratchLen() int {
	return d.channels*d.hp*d.wp + kernel.DotRows*d.filters
}

// run sets (beta 0) or adds to (beta 1) the transposed weight gradient
// dwt, (channels·kh·kw)×filters, of one sample with input x and output
// gradient dy, in a worker's scratch of scratchLen values whose padding
// must be zero: it is never written.
func (d *paddedGrad) run(x, dy, scratch []float32, beta float32, dwt []float32) {
	plane := d.hp * d.wp
	taps := d.kh * d.kw
	f, ohw := d.filters, d.outH*d.outW
	xp := scratch[:d.channels*plane]
	rest := scratch[len(xp):][:kernel.DotRows*f]

	padPlanes(x, xp, d.channels, d.height, d.width, d.hp, d.wp, d.padH, d.padW)
	if beta == 0 {
		clear(dwt[:d.channels*taps*f])
	}

	// Channels c, c+1, c+2 at one tap are three inputs a plane apart, and
	// their gradients three rows of dwt taps·f apart.
	full := d.channels / kernel.DotRows * kernel.DotRows
	for p := range d.kh {
		for q := range d.kw {
			tap := p*d.kw + q
			for c := 0; c < full; c += kernel.DotRows {
				kernel.DotRuns(d.outH, d.outW, d.wp, xp[c*plane+p*d.wp+q:], plane, dy, ohw,
					f, dwt[(c*taps+tap)*f:], taps*f)
			}
			if full == d.channels {
				continue
			}

			// The last channels take the last three, in scratch, and
			// only their own rows are added.
			c0 := d.channels - kernel.DotRows
			clear(rest)
			kernel.DotRuns(d.outH, d.outW, d.wp, xp[c0*plane+p*d.wp+q:], plane, dy, ohw, f,
				rest, f)
			for c := full; c < d.channels; c++ {
				dst := dwt[(c*taps+tap)*f : (c*taps+tap+1)*f]
				for j, v := range rest[(c-c0)*f : (c-c0+1)*f] {
					dst[j] += v
				}
			}
		}
	}
}

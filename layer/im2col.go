package layer

// windowGeom is the geometry of a sliding window over a stack of image
// planes, shared by convolution and pooling: Channels planes of
// Height×Width, a KernelH×KernelW window moved by StrideH, StrideW over the
// input padded by PadH, PadW on each side, giving OutH×OutW positions.
type windowGeom struct {
	Channels, Height, Width int
	KernelH, KernelW        int
	StrideH, StrideW        int
	PadH, PadW              int
	OutH, OutW              int
}

// colRows returns the number of rows of the column matrix: one per
// (channel, kernel row, kernel column).
func (g *windowGeom) colRows() int { return g.Channels * g.KernelH * g.KernelW }

// colCols returns the number of columns of the column matrix: one per
// output position.
func (g *windowGeom) colCols() int { return g.OutH * g.OutW }

// windowSpan returns the output positions [lo, hi) along one axis whose
// input coordinate o*stride - pad + k falls inside [0, size), so that the
// loops of im2col and col2im need no bounds test per element.
func windowSpan(k, stride, pad, size, out int) (lo, hi int) {
	// Stride 1 is the common case, and two divisions cost more than the
	// row copy they bound.
	if stride == 1 {
		return min(max(pad-k, 0), out), min(max(size+pad-k, 0), out)
	}

	// Smallest o with o*stride >= pad-k.
	lo = 0
	if d := pad - k; d > 0 {
		lo = (d + stride - 1) / stride
	}

	// Largest o with o*stride - pad + k <= size-1, plus one.
	hi = 0
	if d := size - 1 + pad - k; d >= 0 {
		hi = d/stride + 1
	}
	return min(lo, out), min(hi, out)
}

// im2col unrolls the windows of x, the Channels×Height×Width planes, into
// col, a colRows()×colCols() row-major matrix: row (c*KernelH+kh)*KernelW+kw
// holds, for every output position (oh, ow), the input element
// x[c][oh*StrideH-PadH+kh][ow*StrideW-PadW+kw], or 0 where that falls in the
// padding. A convolution is then one matrix product with the weights.
//
// Every row of col is a shifted, strided view of one input plane, so the
// work is block copies; their cost is in the many short rows (8 to 32
// elements in LeNet and cifar10-quick), which is why the two common cases
// have their own loops.
func im2col(g *windowGeom, x, col []float32) {
	plane := g.Height * g.Width
	ohw := g.OutH * g.OutW
	row := 0
	for c := 0; c < g.Channels; c++ {
		xc := x[c*plane : (c+1)*plane]
		for kh := 0; kh < g.KernelH; kh++ {
			ohLo, ohHi := windowSpan(kh, g.StrideH, g.PadH, g.Height, g.OutH)
			for kw := 0; kw < g.KernelW; kw++ {
				dst := col[row*ohw : (row+1)*ohw]
				row++
				owLo, owHi := windowSpan(kw, g.StrideW, g.PadW, g.Width, g.OutW)
				if ohLo >= ohHi || owLo >= owHi {
					clear(dst)
					continue
				}
				if g.StrideH == 1 && g.StrideW == 1 && g.OutW == g.Width {
					im2colSame(g, xc, dst, kh, kw, ohLo, ohHi, owLo, owHi)
					continue
				}
				clearIf(dst[:ohLo*g.OutW])
				clearIf(dst[ohHi*g.OutW:])
				for oh := ohLo; oh < ohHi; oh++ {
					d := dst[oh*g.OutW : (oh+1)*g.OutW]
					clearIf(d[:owLo])
					clearIf(d[owHi:])
					ih := oh*g.StrideH - g.PadH + kh
					iw := owLo*g.StrideW - g.PadW + kw
					src := xc[ih*g.Width+iw:]
					if g.StrideW == 1 {
						copyRun(d[owLo:owHi], src)
						continue
					}
					d = d[owLo:owHi]
					for i := range d {
						d[i] = src[i*g.StrideW]
					}
				}
			}
		}
	}
}

// im2colSame fills one row of the column matrix when the stride is 1 and
// the output is as wide as the input ("same" padding, as in cifar10-quick):
// then the row, read as one flat run, is the input plane shifted by a
// constant, so one copy fills it and only the few entries that wrapped
// around a plane row's edge, which belong to the padding, are zeroed after.
func im2colSame(g *windowGeom, xc, dst []float32, kh, kw, ohLo, ohHi, owLo, owHi int) {
	w := g.Width
	shift := (kh-g.PadH)*w + kw - g.PadW
	a, b := ohLo*w+owLo, (ohHi-1)*w+owHi
	clearIf(dst[:a])
	clearIf(dst[b:])
	copy(dst[a:b], xc[a+shift:b+shift])
	if owLo == 0 && owHi == w {
		return
	}

	// Between the valid parts of consecutive output rows lie w-owHi+owLo
	// (at most the pad) entries of padding; a plain loop beats memclr.
	gap := w - owHi + owLo
	for i := ohLo*w + owHi; i < (ohHi-1)*w+owHi; i += w {
		for j := i; j < i+gap; j++ {
			dst[j] = 0
		}
	}
}

// col2im is the adjoint of im2col: it overwrites x with the sum, over every
// window that covers each input element, of the matching entries of col.
// Entries that im2col took from the padding are dropped.
func col2im(g *windowGeom, col, x []float32) {
	plane := g.Height * g.Width
	ohw := g.OutH * g.OutW
	clear(x[:g.Channels*plane])
	row := 0
	for c := 0; c < g.Channels; c++ {
		xc := x[c*plane : (c+1)*plane]
		for kh := 0; kh < g.KernelH; kh++ {
			ohLo, ohHi := windowSpan(kh, g.StrideH, g.PadH, g.Height, g.OutH)
			for kw := 0; kw < g.KernelW; kw++ {
				src := col[row*ohw : (row+1)*ohw]
				row++
				owLo, owHi := windowSpan(kw, g.StrideW, g.PadW, g.Width, g.OutW)
				if owLo >= owHi {
					continue
				}
				for oh := ohLo; oh < ohHi; oh++ {
					s := src[oh*g.OutW+owLo : oh*g.OutW+owHi]
					ih := oh*g.StrideH - g.PadH + kh
					iw := owLo*g.StrideW - g.PadW + kw
					if g.StrideW == 1 {
						addRun(xc[ih*g.Width+iw:], s)
						continue
					}
					d := xc[ih*g.Width+iw:]
					for i, v := range s {
						d[i*g.StrideW] += v
					}
				}
			}
		}
	}
}

// copyRun copies src into dst, which is short (a row of an image): up to
// a few dozen elements, plain loads and stores beat a call to memmove,
// which is also what an array assignment compiles to.
func copyRun(dst, src []float32) {
	n := len(dst)
	if n > 48 {
		copy(dst, src)
		return
	}
	src = src[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s := (*[4]float32)(src[i : i+4])
		d := (*[4]float32)(dst[i : i+4])
		v0, v1, v2, v3 := s[0], s[1], s[2], s[3]
		d[0], d[1], d[2], d[3] = v0, v1, v2, v3
	}
	for ; i < n; i++ {
		dst[i] = src[i]
	}
}

// addRun computes dst[i] += src[i] for every i of src, eight at a time.
func addRun(dst, src []float32) {
	n := len(src)
	dst = dst[:n]
	i := 0
	for ; i+8 <= n; i += 8 {
		d := (*[8]float32)(dst[i : i+8])
		s := (*[8]float32)(src[i : i+8])
		d[0] += s[0]
		d[1] += s[1]
		d[2] += s[2]
		d[3] += s[3]
		d[4] += s[4]
		d[5] += s[5]
		d[6] += s[6]
		d[7] += s[7]
	}
	for ; i < n; i++ {
		dst[i] += src[i]
	}
}

// clearIf zeroes x, skipping the call to memclr when x is empty, the
// common case in the loops above.
func clearIf(x []float32) {
	if len(x) > 0 {
		clear(x)
	}
}

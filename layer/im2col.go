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
	// Locals, not fields: the compiler reloads fields through g after
	// every store to col, and these loops are all stores.
	h, w, outH, outW := g.Height, g.Width, g.OutH, g.OutW
	sh, sw, ph, pw := g.StrideH, g.StrideW, g.PadH, g.PadW
	plane, ohw := h*w, outH*outW
	same := sh == 1 && sw == 1 && outW == w
	row := 0
	for c := 0; c < g.Channels; c++ {
		xc := x[c*plane : (c+1)*plane]
		for kh := 0; kh < g.KernelH; kh++ {
			ohLo, ohHi := windowSpan(kh, sh, ph, h, outH)
			for kw := 0; kw < g.KernelW; kw++ {
				dst := col[row*ohw : (row+1)*ohw]
				row++
				owLo, owHi := windowSpan(kw, sw, pw, w, outW)
				if ohLo >= ohHi || owLo >= owHi {
					clear(dst)
					continue
				}
				if same {
					im2colSame(dst, xc, w, (kh-ph)*w+kw-pw, ohLo, ohHi, owLo, owHi)
					continue
				}
				clearIf(dst[:ohLo*outW])
				clearIf(dst[ohHi*outW:])
				if owLo > 0 || owHi < outW {
					for oh := ohLo; oh < ohHi; oh++ {
						clearIf(dst[oh*outW : oh*outW+owLo])
						clearIf(dst[oh*outW+owHi : (oh+1)*outW])
					}
				}
				first := (ohLo*sh-ph+kh)*w + owLo*sw - pw + kw
				copyRows(dst[ohLo*outW+owLo:], outW, xc[first:], sh*w, sw,
					ohHi-ohLo, owHi-owLo)
			}
		}
	}
}

// copyRows copies rows×n elements: element (r, i) of dst, at
// r*dstStride+i, is element r*srcStride+i*step of src.
//
// Rows are short (8 elements in LeNet's second convolution), so the
// per-row overhead is what counts: eight elements get straight-line code,
// which runs twice as fast as a loop or a call to memmove.
func copyRows(dst []float32, dstStride int, src []float32, srcStride, step, rows, n int) {
	switch {
	case step != 1:
		for r := 0; r < rows; r++ {
			d := dst[r*dstStride : r*dstStride+n]
			s := src[r*srcStride:]
			for i := range d {
				d[i] = s[i*step]
			}
		}
	case n == 8:
		for r := 0; r < rows; r++ {
			s := (*[8]float32)(src[r*srcStride : r*srcStride+8])
			d := (*[8]float32)(dst[r*dstStride : r*dstStride+8])
			d[0], d[1], d[2], d[3] = s[0], s[1], s[2], s[3]
			d[4], d[5], d[6], d[7] = s[4], s[5], s[6], s[7]
		}
	case n < 8:
		for r := 0; r < rows; r++ {
			d := dst[r*dstStride : r*dstStride+n]
			s := src[r*srcStride : r*srcStride+n]
			for i := range d {
				d[i] = s[i]
			}
		}
	default:
		for r := 0; r < rows; r++ {
			copy(dst[r*dstStride:r*dstStride+n], src[r*srcStride:r*srcStride+n])
		}
	}
}

// im2colSame fills one row of the column matrix when the stride is 1 and
// the output is as wide as the input ("same" padding, as in cifar10-quick):
// then the row, read as one flat run, is the input plane shifted by a
// constant, so one copy fills it and only the few entries that wrapped
// around a plane row's edge, which belong to the padding, are zeroed after.
func im2colSame(dst, xc []float32, w, shift, ohLo, ohHi, owLo, owHi int) {
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
	end := (ohHi-1)*w + owHi
	switch gap {
	case 1:
		for i := ohLo*w + owHi; i < end; i += w {
			dst[i] = 0
		}
	case 2:
		for i := ohLo*w + owHi; i < end; i += w {
			d := dst[i : i+2]
			d[0], d[1] = 0, 0
		}
	default:
		for i := ohLo*w + owHi; i < end; i += w {
			for j := i; j < i+gap; j++ {
				dst[j] = 0
			}
		}
	}
}

// col2im is the adjoint of im2col: it overwrites x with the sum, over every
// window that covers each input element, of the matching entries of col.
// Entries that im2col took from the padding are dropped.
func col2im(g *windowGeom, col, x []float32) {
	h, w, outH, outW := g.Height, g.Width, g.OutH, g.OutW
	sh, sw, ph, pw := g.StrideH, g.StrideW, g.PadH, g.PadW
	plane, ohw := h*w, outH*outW
	clear(x[:g.Channels*plane])
	row := 0
	for c := 0; c < g.Channels; c++ {
		xc := x[c*plane : (c+1)*plane]
		for kh := 0; kh < g.KernelH; kh++ {
			ohLo, ohHi := windowSpan(kh, sh, ph, h, outH)
			for kw := 0; kw < g.KernelW; kw++ {
				src := col[row*ohw : (row+1)*ohw]
				row++
				owLo, owHi := windowSpan(kw, sw, pw, w, outW)
				if ohLo >= ohHi || owLo >= owHi {
					continue
				}
				first := (ohLo*sh-ph+kh)*w + owLo*sw - pw + kw
				addRows(xc[first:], sh*w, sw, src[ohLo*outW+owLo:], outW,
					ohHi-ohLo, owHi-owLo)
			}
		}
	}
}

// addRows is the adjoint of copyRows: element r*dstStride+i*step of dst
// gets element (r, i) of src, at r*srcStride+i, added to it.
func addRows(dst []float32, dstStride, step int, src []float32, srcStride, rows, n int) {
	switch {
	case step != 1:
		for r := 0; r < rows; r++ {
			s := src[r*srcStride : r*srcStride+n]
			d := dst[r*dstStride:]
			for i, v := range s {
				d[i*step] += v
			}
		}
	case n == 8:
		for r := 0; r < rows; r++ {
			s := (*[8]float32)(src[r*srcStride : r*srcStride+8])
			d := (*[8]float32)(dst[r*dstStride : r*dstStride+8])
			d[0], d[1], d[2], d[3] = d[0]+s[0], d[1]+s[1], d[2]+s[2], d[3]+s[3]
			d[4], d[5], d[6], d[7] = d[4]+s[4], d[5]+s[5], d[6]+s[6], d[7]+s[7]
		}
	default:
		for r := 0; r < rows; r++ {
			d := dst[r*dstStride : r*dstStride+n]
			s := src[r*srcStride : r*srcStride+n]
			for i := range d {
				d[i] += s[i]
			}
		}
	}
}

// clearIf zeroes x, skipping the call to memclr when x is empty, the
// common case in the loops above.
func clearIf(x []float32) {
	if len(x) > 0 {
		clear(x)
	}
}

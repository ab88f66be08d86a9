package layer

import (
	"github.com/mariana-dl/mariana/tensor"
)

// Pool is max or average pooling over KernelH×KernelW windows of each
// channel.
//
// Input N×C×H×W, output N×C×OH×OW. The output size rounds up, as Caffe and
// PyTorch with ceil_mode=True do:
//
//	OH = ceil((H + 2·PadH - KernelH) / StrideH) + 1
//
// minus one when the last window would start at or beyond H + PadH, that is
// entirely in the bottom padding (likewise OW). So cifar10-quick's 3×3,
// stride 2 pools take 32 to 16, 16 to 8 and 8 to 4, where rounding down would
// give 15, 7 and 3.
//
// Window (i, j) covers input rows [i·StrideH - PadH, i·StrideH - PadH +
// KernelH) and the matching columns. Max pooling takes the largest input
// element the window covers (padding never wins) and remembers where it was
// for Backward, which routes the gradient there; ties go to the first in
// row-major order. A NaN in the window makes the output NaN.
//
// Average pooling sums the input elements the window covers and divides by
// the size of the window clipped to the padded input, rows
// [i·StrideH - PadH, min(i·StrideH - PadH + KernelH, H + PadH)) by the
// matching columns: padding counts as zeros, but the part of a last window
// that hangs beyond the padded input, which only the rounding up creates, is
// not counted. This is exactly Caffe's AVE pooling and PyTorch's
// AvgPool2d(ceil_mode=True, count_include_pad=True) (its default), so a
// 3×3 stride-2 window over the last two rows and columns of an unpadded
// 16×16 input divides by 4, and an interior window by 9.
type Pool struct {
	name string
	cfg  PoolConfig
	geom windowGeom
	out  tensor.Shape

	// argmax holds, for every output element of the last max-pooling
	// Forward, the index of the input element it took within its plane.
	argmax []int32

	// The current call, read by the worker functions, which are bound
	// once in the constructor so that a call allocates nothing.
	x, y, dy, dx   *tensor.Tensor
	forwardWorker  func(worker, lo, hi int)
	backwardWorker func(worker, lo, hi int)
}

// NewPool returns a pooling layer named name, applying the default of cfg:
// the stride is the kernel size.
func NewPool(name string, cfg PoolConfig) *Pool {
	if cfg.StrideH == 0 {
		cfg.StrideH = cfg.KernelH
	}
	if cfg.StrideW == 0 {
		cfg.StrideW = cfg.KernelW
	}
	l := &Pool{name: name, cfg: cfg}
	l.forwardWorker = l.forwardPlanes
	l.backwardWorker = l.backwardPlanes
	return l
}

// Name implements [Layer].
func (l *Pool) Name() string { return l.name }

// Type implements [Layer].
func (l *Pool) Type() string { return "pool" }

// Config returns the configuration with defaults applied.
func (l *Pool) Config() PoolConfig { return l.cfg }

// Params implements [Layer]; pooling has none.
func (l *Pool) Params() []*Param { return nil }

// poolOutSize returns the number of windows along an axis of the given
// size, rounding up but dropping a last window that would start in the
// padding beyond the input.
func poolOutSize(size, kernel, stride, pad int) int {
	n := (size+2*pad-kernel+stride-1)/stride + 1
	if (n-1)*stride >= size+pad {
		n--
	}
	return n
}

// Setup implements [Layer]. It takes one C×H×W input.
func (l *Pool) Setup(in []tensor.Shape) (tensor.Shape, error) {
	cfg := l.cfg
	if cfg.Method != PoolMax && cfg.Method != PoolAverage {
		return nil, configErrorf(l.name, "method %q is not %q or %q",
			cfg.Method, PoolMax, PoolAverage)
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"kernel_h", cfg.KernelH}, {"kernel_w", cfg.KernelW},
		{"stride_h", cfg.StrideH}, {"stride_w", cfg.StrideW},
	} {
		if f.v <= 0 {
			return nil, configErrorf(l.name, "%s must be positive, got %d", f.name, f.v)
		}
	}

	// A pad as large as the kernel would allow windows that cover only
	// padding, whose maximum is undefined.
	if cfg.PadH < 0 || cfg.PadH >= cfg.KernelH {
		return nil, configErrorf(l.name, "pad_h %d must be in [0, kernel_h %d)",
			cfg.PadH, cfg.KernelH)
	}
	if cfg.PadW < 0 || cfg.PadW >= cfg.KernelW {
		return nil, configErrorf(l.name, "pad_w %d must be in [0, kernel_w %d)",
			cfg.PadW, cfg.KernelW)
	}

	if len(in) != 1 {
		return nil, shapeErrorf(l.name, "takes 1 input, got %d", len(in))
	}
	if len(in[0]) != 3 {
		return nil, shapeErrorf(l.name, "input shape %v is not channels×height×width", in[0])
	}
	c, h, w := in[0][0], in[0][1], in[0][2]
	if c <= 0 || h <= 0 || w <= 0 {
		return nil, shapeErrorf(l.name, "input shape %v has an empty dimension", in[0])
	}
	if cfg.KernelH > h+2*cfg.PadH {
		return nil, shapeErrorf(l.name, "kernel_h %d larger than padded input height %d",
			cfg.KernelH, h+2*cfg.PadH)
	}
	if cfg.KernelW > w+2*cfg.PadW {
		return nil, shapeErrorf(l.name, "kernel_w %d larger than padded input width %d",
			cfg.KernelW, w+2*cfg.PadW)
	}

	l.geom = windowGeom{
		Channels: c, Height: h, Width: w,
		KernelH: cfg.KernelH, KernelW: cfg.KernelW,
		StrideH: cfg.StrideH, StrideW: cfg.StrideW,
		PadH: cfg.PadH, PadW: cfg.PadW,
		OutH: poolOutSize(h, cfg.KernelH, cfg.StrideH, cfg.PadH),
		OutW: poolOutSize(w, cfg.KernelW, cfg.StrideW, cfg.PadW),
	}
	l.out = tensor.Shape{c, l.geom.OutH, l.geom.OutW}
	return l.out.Clone(), nil
}

// ForwardFLOPs implements [FLOPer]: one comparison or addition per window
// element.
func (l *Pool) ForwardFLOPs() int64 {
	g := &l.geom
	return int64(g.Channels) * int64(g.OutH*g.OutW) * int64(g.KernelH*g.KernelW)
}

// Forward implements [Layer].
func (l *Pool) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	planes := in[0].Batch() * l.geom.Channels
	if l.cfg.Method == PoolMax {
		need := planes * l.geom.OutH * l.geom.OutW
		if cap(l.argmax) < need {
			l.argmax = make([]int32, need)
		}
		l.argmax = l.argmax[:need]
	}
	l.x, l.y = in[0], out
	ctx.For(planes, l.forwardWorker)
	l.x, l.y = nil, nil
}

// Backward implements [Layer].
func (l *Pool) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	if len(dIn) == 0 || dIn[0] == nil {
		return
	}
	l.dy, l.dx = dOut, dIn[0]
	ctx.For(in[0].Batch()*l.geom.Channels, l.backwardWorker)
	l.dy, l.dx = nil, nil
}

// windowRows returns the input rows [lo, hi) that window row i covers,
// clipped to the input, and the number of rows of the window inside the
// padded input (its divisor in average pooling).
func (g *windowGeom) windowRows(i int) (lo, hi, count int) {
	lo = i*g.StrideH - g.PadH
	hi = min(lo+g.KernelH, g.Height+g.PadH)
	count = hi - lo
	return max(lo, 0), min(hi, g.Height), count
}

// windowCols is windowRows for columns.
func (g *windowGeom) windowCols(j int) (lo, hi, count int) {
	lo = j*g.StrideW - g.PadW
	hi = min(lo+g.KernelW, g.Width+g.PadW)
	count = hi - lo
	return max(lo, 0), min(hi, g.Width), count
}

// forwardPlanes pools planes [lo, hi), each one channel of one sample.
func (l *Pool) forwardPlanes(_, lo, hi int) {
	g := &l.geom
	plane, outPlane := g.Height*g.Width, g.OutH*g.OutW
	for p := lo; p < hi; p++ {
		x := l.x.Data[p*plane : (p+1)*plane]
		y := l.y.Data[p*outPlane : (p+1)*outPlane]
		if l.cfg.Method == PoolMax {
			maxPlane(g, x, y, l.argmax[p*outPlane:(p+1)*outPlane])
		} else {
			averagePlane(g, x, y)
		}
	}
}

// maxPlane max-pools one plane x into y, recording in arg where each
// maximum came from: the first element in row-major order that equals it.
//
// The maximum is taken first, without branches, and its position found
// after: with the data-dependent branch of a running argmax, mispredictions
// cost more than the comparisons on random-looking activations. Windows
// wholly inside the input go through unrolled loops for the 2×2 and 3×3
// kernels of LeNet and cifar10-quick.
func maxPlane(g *windowGeom, x, y []float32, arg []int32) {
	w, outW := g.Width, g.OutW
	jLo, jHi := interior(g.KernelW, g.StrideW, g.PadW, g.Width, g.OutW)
	fast := g.KernelH == g.KernelW && (g.KernelH == 2 || g.KernelH == 3)
	for i := 0; i < g.OutH; i++ {
		r0, r1, _ := g.windowRows(i)
		yr := y[i*outW : (i+1)*outW]
		ar := arg[i*outW : (i+1)*outW]
		lo, hi := 0, 0
		if fast && r1-r0 == g.KernelH && jLo < jHi {
			lo, hi = jLo, jHi
			first := r0*w + jLo*g.StrideW - g.PadW
			if g.KernelH == 2 {
				maxRow2x2(x, yr[lo:hi], ar[lo:hi], first, w, g.StrideW)
			} else {
				maxRow3x3(x, yr[lo:hi], ar[lo:hi], first, w, g.StrideW)
			}
		}
		for j := range outW {
			if j >= lo && j < hi {
				continue
			}
			c0, c1, _ := g.windowCols(j)
			yr[j], ar[j] = maxWindow(x, w, r0, r1, c0, c1)
		}
	}
}

// interior returns the windows [lo, hi) along an axis that lie wholly
// inside the input, without padding.
func interior(kernel, stride, pad, size, out int) (lo, hi int) {
	lo = (pad + stride - 1) / stride
	if size+pad-kernel < 0 {
		return lo, lo
	}
	hi = min((size+pad-kernel)/stride+1, out)
	return lo, max(hi, lo)
}

// maxWindow returns the maximum of rows [r0, r1) and columns [c0, c1) of
// the plane x of width w, and the index of its first occurrence.
func maxWindow(x []float32, w, r0, r1, c0, c1 int) (float32, int32) {
	m := x[r0*w+c0]
	for r := r0; r < r1; r++ {
		for _, v := range x[r*w+c0 : r*w+c1] {
			m = max(m, v)
		}
	}

	// Scanning backwards, the last match kept is the first in order.
	at := r0*w + c0
	for r := r1 - 1; r >= r0; r-- {
		row := x[r*w+c0 : r*w+c1]
		for c := len(row) - 1; c >= 0; c-- {
			if row[c] == m {
				at = r*w + c0 + c
			}
		}
	}
	return m, int32(at)
}

// maxRow2x2 max-pools len(y) 2×2 windows of the plane x of width w, the
// first with its top-left element at x[i], the next ones step further
// along the row.
func maxRow2x2(x, y []float32, arg []int32, i, w, step int) {
	arg = arg[:len(y)]
	for j := range y {
		v := x[i : i+w+2]
		v0, v1, v2, v3 := v[0], v[1], v[w], v[w+1]
		m := max(max(v0, v1), max(v2, v3))
		at := i + w + 1
		if v2 == m {
			at = i + w
		}
		if v1 == m {
			at = i + 1
		}
		if v0 == m {
			at = i
		}
		y[j], arg[j] = m, int32(at)
		i += step
	}
}

// maxRow3x3 is maxRow2x2 for 3×3 windows.
func maxRow3x3(x, y []float32, arg []int32, i, w, step int) {
	arg = arg[:len(y)]
	for j := range y {
		v := x[i : i+2*w+3]
		v0, v1, v2 := v[0], v[1], v[2]
		v3, v4, v5 := v[w], v[w+1], v[w+2]
		v6, v7, v8 := v[2*w], v[2*w+1], v[2*w+2]
		m := max(max(max(v0, v1), max(v2, v3)), max(max(v4, v5), max(v6, max(v7, v8))))
		at := i + 2*w + 2
		if v7 == m {
			at = i + 2*w + 1
		}
		if v6 == m {
			at = i + 2*w
		}
		if v5 == m {
			at = i + w + 2
		}
		if v4 == m {
			at = i + w + 1
		}
		if v3 == m {
			at = i + w
		}
		if v2 == m {
			at = i + 2
		}
		if v1 == m {
			at = i + 1
		}
		if v0 == m {
			at = i
		}
		y[j], arg[j] = m, int32(at)
		i += step
	}
}

// averagePlane average-pools one plane x into y.
func averagePlane(g *windowGeom, x, y []float32) {
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
		}
	}
}

// backwardPlanes computes the input gradient of planes [lo, hi). Planes
// are independent, so the sums in each are in a fixed order whatever the
// thread count.
func (l *Pool) backwardPlanes(_, lo, hi int) {
	g := &l.geom
	plane, outPlane := g.Height*g.Width, g.OutH*g.OutW
	for p := lo; p < hi; p++ {
		dx := l.dx.Data[p*plane : (p+1)*plane]
		dy := l.dy.Data[p*outPlane : (p+1)*outPlane]
		clear(dx)
		if l.cfg.Method == PoolMax {
			for o, at := range l.argmax[p*outPlane : (p+1)*outPlane] {
				dx[at] += dy[o]
			}
			continue
		}
		for i := 0; i < g.OutH; i++ {
			r0, r1, nr := g.windowRows(i)
			for j := 0; j < g.OutW; j++ {
				c0, c1, nc := g.windowCols(j)
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
}

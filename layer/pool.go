package layer

import (
	"math"

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
// row-major order, and +0 counts as larger than -0 (as Go's max has it).
// A NaN in the window, whatever its sign bit, makes the output NaN and
// takes the gradient.
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

	// keys and cols are max pooling's scratch, one plane of keys and one
	// row of column maxima per worker.
	keys, cols []int64

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

		workers := max(ctx.Threads, 1)
		if ctx.Pool != nil {
			workers = max(workers, ctx.Pool.Threads())
		}
		if len(l.cols) < workers*l.geom.Width {
			l.cols = make([]int64, workers*l.geom.Width)
		}
		if len(l.keys) < workers*l.geom.Width*l.geom.Height {
			l.keys = make([]int64, workers*l.geom.Width*l.geom.Height)
		}
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
func (l *Pool) forwardPlanes(worker, lo, hi int) {
	g := &l.geom
	plane, outPlane := g.Height*g.Width, g.OutH*g.OutW
	for p := lo; p < hi; p++ {
		x := l.x.Data[p*plane : (p+1)*plane]
		y := l.y.Data[p*outPlane : (p+1)*outPlane]
		if l.cfg.Method == PoolMax {
			maxPlane(g, x, y, l.argmax[p*outPlane:(p+1)*outPlane],
				l.keys[worker*plane:(worker+1)*plane], l.cols[worker*g.Width:(worker+1)*g.Width])
		} else {
			averagePlane(g, x, y)
		}
	}
}

// maxPlane max-pools one plane x into y, recording in arg where each
// maximum came from: the first in row-major order of the window's largest
// elements, in the order the Pool doc gives (+0 above -0, NaN above all).
// keys is scratch for one int64 per element of the plane and col for one
// per column.
//
// Each element becomes a 64-bit key, maxKey, whose order is the order of
// (value, earliest position): the maximum of keys then gives the maximum
// and, among equal values, the first in row-major order, with integer
// compare-and-move instructions only. Go's float max spends a long
// instruction sequence on NaN and signed zeros, and a running argmax
// mispredicts its branch on random-looking activations.
//
// The max is separable: first over the window's rows for every column
// (col), then over the window's columns of col. Overlapping windows, as in
// cifar10-quick's 3×3 stride-2 pools, so share the keys and the column
// maxima. Windows clipped by the padding take the same path over fewer
// rows or columns.
func maxPlane(g *windowGeom, x, y []float32, arg []int32, keys, col []int64) {
	w, outW := g.Width, g.OutW
	keys, col = keys[:len(x)], col[:w]
	planeKeys(x, keys)

	jLo, jHi := interior(g.KernelW, g.StrideW, g.PadW, g.Width, g.OutW)
	for i := 0; i < g.OutH; i++ {
		r0, r1, _ := g.windowRows(i)
		columnMax(keys[r0*w:r1*w], col)

		yr := y[i*outW : (i+1)*outW]
		ar := arg[i*outW : (i+1)*outW]
		lo, hi := jLo, jHi
		switch {
		case lo >= hi:
			lo, hi = 0, 0
		case g.KernelW == 3:
			rowMax3(col, yr[lo:hi], ar[lo:hi], lo*g.StrideW-g.PadW, g.StrideW)
		case g.KernelW == 2:
			rowMax2(col, yr[lo:hi], ar[lo:hi], lo*g.StrideW-g.PadW, g.StrideW)
		default:
			lo, hi = 0, 0
		}
		for j := range outW {
			if j >= lo && j < hi {
				continue
			}
			c0, c1, _ := g.windowCols(j)
			k := col[c0]
			for _, v := range col[c0+1 : c1] {
				k = keyMax(k, v)
			}
			yr[j], ar[j] = keyValue(k), keyPos(k)
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

// maxKey returns the key of the element v at index pos of its plane: the
// high half orders floats as integers, with +0 above -0 as Go's max has
// it and any NaN, whatever its sign bit, above +Inf so that it wins and
// propagates; the low half is ^pos, so that of equal values the earliest
// is the largest.
func maxKey(v float32, pos int) int64 {
	b := int32(math.Float32bits(v))
	mag := b & 0x7fffffff

	// Negative numbers flip their magnitude bits; NaN keeps its magnitude,
	// above the bits of +Inf.
	k := b ^ int32(uint32(b>>31)>>1)
	nan := (0x7f800000 - mag) >> 31
	k = k&^nan | mag&nan
	return int64(k)<<32 | int64(^uint32(pos))
}

// keyMax returns the larger of two keys. Written as a conditional
// assignment it compiles to a CMOV; the builtin max compiles to a branch,
// which random activations mispredict half the time.
func keyMax(a, b int64) int64 {
	if b > a {
		a = b
	}
	return a
}

// keyValue returns the float a key of maxKey was made from. The flip of
// the magnitude undoes itself; a NaN comes back as a positive NaN.
func keyValue(k int64) float32 {
	b := int32(k >> 32)
	return math.Float32frombits(uint32(b ^ int32(uint32(b>>31)>>1)))
}

// keyPos returns the position a key of maxKey was made with.
func keyPos(k int64) int32 { return int32(^uint32(k)) }

// planeKeys sets keys[i] to maxKey(x[i], i). It is a leaf of its own so
// that its loop keeps every value in a register.
//
// The common case is cheaper than maxKey: without NaN, a float's key is
// its bits with the magnitude flipped when negative (-0 then falls just
// below +0, which beats it, as Go's max says). Whether the plane holds a
// NaN is gathered on the way, and only then are the keys made again the
// careful way.
//
//go:noinline
func planeKeys(x []float32, keys []int64) {
	keys = keys[:len(x)]
	var nan uint32
	low := ^uint32(0)
	for i, v := range x {
		b := int32(math.Float32bits(v))
		k := b ^ int32(uint32(b>>31)>>1)

		// A magnitude above that of +Inf carries into bit 31.
		nan |= uint32(b&0x7fffffff) + 0x007fffff
		keys[i] = int64(k)<<32 | int64(low)
		low--
	}
	if nan&0x80000000 == 0 {
		return
	}
	for i, v := range x {
		keys[i] = maxKey(v, i)
	}
}

// columnMax sets col[c] to the largest key of column c of the rows of keys,
// each len(col) wide.
//
//go:noinline
func columnMax(keys, col []int64) {
	w := len(col)
	copy(col, keys[:w])
	for r := w; r < len(keys); r += w {
		row := keys[r : r+w]
		for c, k := range row[:len(col)] {
			col[c] = keyMax(col[c], k)
		}
	}
}

// rowMax3 max-pools len(y) windows three columns wide from the column
// maxima col, the first window starting at column c, the next ones step
// further. Like planeKeys and columnMax it is kept out of maxPlane, whose
// many live values would otherwise push its loop's onto the stack. The
// value comes back from the key rather than from the plane: a load whose
// address waits on the comparisons stalled the loop.
//
//go:noinline
func rowMax3(col []int64, y []float32, arg []int32, c, step int) {
	arg = arg[:len(y)]
	for j := range y {
		v := col[c : c+3]
		k := keyMax(keyMax(v[0], v[1]), v[2])
		y[j], arg[j] = keyValue(k), keyPos(k)
		c += step
	}
}

// rowMax2 is rowMax3 for windows two columns wide.
//
//go:noinline
func rowMax2(col []int64, y []float32, arg []int32, c, step int) {
	arg = arg[:len(y)]
	for j := range y {
		v := col[c : c+2]
		k := keyMax(v[0], v[1])
		y[j], arg[j] = keyValue(k), keyPos(k)
		c += step
	}
}

// averagePlane average-pools one plane x into y. Windows three wide that lie
// wholly inside the input, as in cifar10-quick, take avgRow3; the sums are
// the same, in the same order, as the general loop's.
func averagePlane(g *windowGeom, x, y []float32) {
	w, outW := g.Width, g.OutW
	jLo, jHi := interior(g.KernelW, g.StrideW, g.PadW, w, outW)
	for i := 0; i < g.OutH; i++ {
		r0, r1, nr := g.windowRows(i)
		yr := y[i*outW : (i+1)*outW]
		lo, hi := jLo, jHi
		if g.KernelW == 3 && r1-r0 == 3 && lo < hi {
			avgRow3(x[r0*w:r1*w], w, yr[lo:hi], lo*g.StrideW-g.PadW, g.StrideW,
				float32(nr*3))
		} else {
			lo, hi = 0, 0
		}
		for j := range outW {
			if j >= lo && j < hi {
				continue
			}
			c0, c1, nc := g.windowCols(j)
			var sum float32
			for r := r0; r < r1; r++ {
				for _, v := range x[r*w+c0 : r*w+c1] {
					sum += v
				}
			}
			yr[j] = sum / float32(nr*nc)
		}
	}
}

// avgRow3 average-pools len(y) windows of three rows of x (each w wide) by
// three columns, the first starting at column c, the next ones step
// further, dividing each sum by div.
//
//go:noinline
func avgRow3(x []float32, w int, y []float32, c, step int, div float32) {
	x0, x1, x2 := x[:w], x[w:2*w], x[2*w:3*w]
	for j := range y {
		a, b, d := x0[c:c+3], x1[c:c+3], x2[c:c+3]

		// From +0, as the general loop: -0 values sum to +0 there too.
		var sum float32
		sum += a[0]
		sum += a[1]
		sum += a[2]
		sum += b[0]
		sum += b[1]
		sum += b[2]
		sum += d[0]
		sum += d[1]
		sum += d[2]
		y[j] = sum / div
		c += step
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
		averageBackward(g, dy, dx)
	}
}

// averageBackward adds to dx, one plane, each output gradient of dy divided
// over its window. Windows are visited in output order, so every element of
// dx sums its windows' shares in the same order whatever path a window
// takes; three-by-three windows inside the input take avgBackRow3.
func averageBackward(g *windowGeom, dy, dx []float32) {
	w, outW := g.Width, g.OutW
	jLo, jHi := interior(g.KernelW, g.StrideW, g.PadW, w, outW)
	for i := 0; i < g.OutH; i++ {
		r0, r1, nr := g.windowRows(i)
		dyr := dy[i*outW : (i+1)*outW]
		lo, hi := jLo, jHi
		fast := g.KernelW == 3 && r1-r0 == 3 && lo < hi
		if !fast {
			lo, hi = outW, outW
		}
		for j := range outW {
			if j == lo {
				avgBackRow3(dx[r0*w:r1*w], w, dyr[lo:hi], lo*g.StrideW-g.PadW, g.StrideW,
					float32(nr*3))
			}
			if j >= lo && j < hi {
				continue
			}
			c0, c1, nc := g.windowCols(j)
			d := dyr[j] / float32(nr*nc)
			for r := r0; r < r1; r++ {
				row := dx[r*w+c0 : r*w+c1]
				for c := range row {
					row[c] += d
				}
			}
		}
	}
}

// avgBackRow3 is the adjoint of avgRow3: it adds dy[j]/div to the nine
// elements of window j of dx.
//
//go:noinline
func avgBackRow3(dx []float32, w int, dy []float32, c, step int, div float32) {
	x0, x1, x2 := dx[:w], dx[w:2*w], dx[2*w:3*w]
	for _, g := range dy {
		d := g / div
		a, b, e := x0[c:c+3], x1[c:c+3], x2[c:c+3]
		a[0] += d
		a[1] += d
		a[2] += d
		b[0] += d
		b[1] += d
		b[2] += d
		e[0] += d
		e[1] += d
		e[2] += d
		c += step
	}
}

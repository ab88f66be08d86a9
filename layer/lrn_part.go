package layer

import (
	"github.com/mariana-dl/mariana/tensor"
)

// LRNPart is the part of an [LRN] layer that one column of a network cut
// into partitions by channels computes: it normalises the channels of one
// input, its main input, with the windows of the whole layer, reading the
// channels those windows reach beyond it from the other inputs, its halo.
//
// The inputs, taken in order, are consecutive channels of the whole
// layer's input: for example [the 2 channels below, the column's own
// channels, the 2 channels above] with Size 5. The output has the main
// input's shape. The window of a channel is clipped at the first and last
// channel of the inputs taken together, which are the whole layer's first
// and last channels when the halo is complete, so the output is exactly
// the whole layer's for those channels, computed in the same order.
//
// Backward writes the gradient of every input: for the main input its
// whole gradient but for the terms of outputs that other columns compute,
// and for a halo input the terms of this part's outputs, which the column
// that owns those channels adds to its own.
type LRNPart struct {
	whole *LRN // the layer over all the inputs' channels, for its checks and windows
	main  int

	// chans[j] is the channel count of input j, first[j] the index of
	// its first channel among all the inputs'.
	chans, first []int
	spatial      int

	// scale holds the main channels' scale of the last Forward; ratios
	// each worker's dy·out/scale of one sample.
	scale  []float32
	ratios [][]float32

	// The current call, read by the worker functions.
	in, dIn        []*tensor.Tensor
	y, dy          *tensor.Tensor
	forwardWorker  func(worker, lo, hi int)
	backwardWorker func(worker, lo, hi int)
}

// NewLRNPart returns the part of an LRN layer configured by cfg (defaults
// applied as by [NewLRN]) that outputs the channels of input main.
func NewLRNPart(name string, cfg LRNConfig, main int) *LRNPart {
	l := &LRNPart{whole: NewLRN(name, cfg), main: main}
	l.forwardWorker = l.forwardSamples
	l.backwardWorker = l.backwardSamples
	return l
}

// Name implements [Layer].
func (l *LRNPart) Name() string { return l.whole.name }

// Type implements [Layer].
func (l *LRNPart) Type() string { return "lrn" }

// Config returns the configuration with defaults applied.
func (l *LRNPart) Config() LRNConfig { return l.whole.cfg }

// Params implements [Layer]; LRN has none.
func (l *LRNPart) Params() []*Param { return nil }

// Setup implements [Layer]: inputs whose shapes agree but for the
// channels; the output has the main input's shape.
func (l *LRNPart) Setup(in []tensor.Shape) (tensor.Shape, error) {
	name := l.whole.name
	if l.main < 0 || l.main >= len(in) {
		return nil, shapeErrorf(name, "main input %d of %d inputs", l.main, len(in))
	}
	total := 0
	l.chans, l.first = make([]int, len(in)), make([]int, len(in))
	for j, s := range in {
		if len(s) == 0 || s.Size() <= 0 {
			return nil, shapeErrorf(name, "input %d has shape %v, without channels", j, s)
		}
		if len(s) != len(in[0]) || !tensor.Shape(s[1:]).Equal(in[0][1:]) {
			return nil, shapeErrorf(name, "input %d has shape %v, which does not match "+
				"input 0's %v but for channels", j, s, in[0])
		}
		l.chans[j], l.first[j] = s[0], total
		total += s[0]
	}
	all := in[0].Clone()
	all[0] = total
	if _, err := l.whole.Setup([]tensor.Shape{all}); err != nil {
		return nil, err
	}
	l.spatial = l.whole.spatial
	return in[l.main].Clone(), nil
}

// ForwardFLOPs implements [FLOPer]: the whole layer's cost per output
// element, for the main channels.
func (l *LRNPart) ForwardFLOPs() int64 {
	return int64(l.chans[l.main]) * int64(l.spatial) * int64(2*l.whole.cfg.Size+5)
}

// channel returns channel e (counted over all the inputs) of sample n of
// the tensors ts, which are the inputs or their gradients.
func (l *LRNPart) channel(ts []*tensor.Tensor, n, e int) []float32 {
	j := len(l.first) - 1
	for l.first[j] > e {
		j--
	}
	c, s := e-l.first[j], l.spatial
	per := l.chans[j] * s
	return ts[j].Data[n*per+c*s : n*per+(c+1)*s]
}

// Forward implements [Layer].
func (l *LRNPart) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	if need := len(out.Data); cap(l.scale) < need {
		l.scale = make([]float32, need)
	}
	l.scale = l.scale[:len(out.Data)]
	l.in, l.y = in, out
	ctx.For(out.Batch(), l.forwardWorker)
	l.in, l.y = nil, nil
}

// forwardSamples normalises samples [lo, hi) as [LRN.forwardSamples] does
// for the main channels.
func (l *LRNPart) forwardSamples(_, lo, hi int) {
	s := l.spatial
	own, first := l.chans[l.main], l.first[l.main]
	per := own * s
	cfg := l.whole.cfg
	coef := cfg.Alpha / float32(cfg.Size)
	for n := lo; n < hi; n++ {
		y := l.y.Data[n*per : (n+1)*per]
		scale := l.scale[n*per : (n+1)*per]
		for c := 0; c < own; c++ {
			sc := scale[c*s : (c+1)*s]
			clear(sc)
			w0, w1 := l.whole.window(first + c)
			for cc := w0; cc < w1; cc++ {
				for i, v := range l.channel(l.in, n, cc) {
					sc[i] += v * v
				}
			}
			xc, yc := l.channel(l.in, n, first+c), y[c*s:(c+1)*s]
			for i := range sc {
				sc[i] = cfg.K + coef*sc[i]
				yc[i] = xc[i] * powNeg(sc[i], cfg.Beta)
			}
		}
	}
}

// Backward implements [Layer].
func (l *LRNPart) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	threads := max(ctx.Threads, 1)
	for len(l.ratios) < threads {
		l.ratios = append(l.ratios, make([]float32, l.chans[l.main]*l.spatial))
	}
	l.in, l.y, l.dy, l.dIn = in, out, dOut, dIn
	ctx.For(out.Batch(), l.backwardWorker)
	l.in, l.y, l.dy, l.dIn = nil, nil, nil, nil
}

// backwardSamples computes the input gradients of samples [lo, hi) on
// worker w: [LRN.backwardSamples] for the main channels, and for the halo
// channels the terms of the main channels' outputs alone.
func (l *LRNPart) backwardSamples(w, lo, hi int) {
	s := l.spatial
	own, first := l.chans[l.main], l.first[l.main]
	per := own * s
	cfg := l.whole.cfg
	coef := 2 * cfg.Alpha * cfg.Beta / float32(cfg.Size)
	ratio := l.ratios[w]
	for n := lo; n < hi; n++ {
		y := l.y.Data[n*per : (n+1)*per]
		dy := l.dy.Data[n*per : (n+1)*per]
		scale := l.scale[n*per : (n+1)*per]
		for i := range ratio {
			ratio[i] = dy[i] * y[i] / scale[i]
		}
		for j, d := range l.dIn {
			if d == nil {
				continue
			}
			for c := 0; c < l.chans[j]; c++ {
				e := l.first[j] + c
				dxc := l.channel(l.dIn, n, e)
				clear(dxc)
				w0, w1 := l.whole.window(e)
				for cc := max(w0, first); cc < min(w1, first+own); cc++ {
					for i, v := range ratio[(cc-first)*s : (cc-first+1)*s] {
						dxc[i] += v
					}
				}
				xc := l.channel(l.in, n, e)
				if j != l.main {
					for i := range dxc {
						dxc[i] = -coef * xc[i] * dxc[i]
					}
					continue
				}
				dyc, sc := dy[c*s:(c+1)*s], scale[c*s:(c+1)*s]
				for i := range dxc {
					dxc[i] = dyc[i]*powNeg(sc[i], cfg.Beta) - coef*xc[i]*dxc[i]
				}
			}
		}
	}
}

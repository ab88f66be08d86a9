package layer

import (
	"math"

	"github.com/mariana-dl/mariana/tensor"
)

// LRN is local response normalisation across channels, as in Krizhevsky et
// al. 2012 (section 3.3) and Caffe's ACROSS_CHANNELS mode.
//
// Input and output N×C×H×W (any per-sample shape whose first dimension is
// the channels). With n = Size, h = (n-1)/2 and the window W(c) =
// [max(0, c-h), min(C-1, c+h)] of channels around c,
//
//	scale[c] = K + Alpha/n · Σ_{c' ∈ W(c)} x[c']²
//	out[c]   = x[c] · scale[c]^(-Beta)
//
// at every spatial position of every sample. The window is clipped at the
// first and last channel but the divisor stays n, as in Caffe and PyTorch's
// LocalResponseNorm. Backward, since c ∈ W(c') exactly when c' ∈ W(c):
//
//	dx[c] = dy[c]·scale[c]^(-Beta)
//	      - 2·Alpha·Beta/n · x[c] · Σ_{c' ∈ W(c)} dy[c']·out[c']/scale[c']
type LRN struct {
	name     string
	cfg      LRNConfig
	shape    tensor.Shape
	channels int
	spatial  int // elements per channel

	// scale holds the last Forward's scale, which Backward needs.
	scale []float32
	// ratios is each worker's dy·out/scale for one sample.
	ratios [][]float32

	// The current call, read by the worker functions, which are bound
	// once in the constructor so that a call allocates nothing.
	x, y, dy, dx   *tensor.Tensor
	forwardWorker  func(worker, lo, hi int)
	backwardWorker func(worker, lo, hi int)
}

// NewLRN returns a local response normalisation layer named name, applying
// the defaults of cfg: Size 5, Alpha 1e-4, Beta 0.75 and K 1.
func NewLRN(name string, cfg LRNConfig) *LRN {
	if cfg.Size == 0 {
		cfg.Size = 5
	}
	if cfg.Alpha == 0 {
		cfg.Alpha = 1e-4
	}
	if cfg.Beta == 0 {
		cfg.Beta = 0.75
	}
	if cfg.K == 0 {
		cfg.K = 1
	}
	l := &LRN{name: name, cfg: cfg}
	l.forwardWorker = l.forwardSamples
	l.backwardWorker = l.backwardSamples
	return l
}

// Name implements [Layer].
func (l *LRN) Name() string { return l.name }

// Type implements [Layer].
func (l *LRN) Type() string { return "lrn" }

// Config returns the configuration with defaults applied.
func (l *LRN) Config() LRNConfig { return l.cfg }

// Params implements [Layer]; LRN has none.
func (l *LRN) Params() []*Param { return nil }

// Setup implements [Layer]. It takes one input whose first per-sample
// dimension is the channels, and returns the same shape.
func (l *LRN) Setup(in []tensor.Shape) (tensor.Shape, error) {
	cfg := l.cfg
	if cfg.Size <= 0 || cfg.Size%2 == 0 {
		return nil, configErrorf(l.name, "size must be a positive odd number, got %d", cfg.Size)
	}

	// Positive Alpha and K keep scale positive, so its power is defined.
	for _, f := range []struct {
		name string
		v    float32
	}{{"alpha", cfg.Alpha}, {"beta", cfg.Beta}, {"k", cfg.K}} {
		if !(f.v > 0) || math.IsInf(float64(f.v), 0) {
			return nil, configErrorf(l.name, "%s must be positive and finite, got %v",
				f.name, f.v)
		}
	}

	if len(in) != 1 {
		return nil, shapeErrorf(l.name, "takes 1 input, got %d", len(in))
	}
	if len(in[0]) == 0 || in[0].Size() <= 0 {
		return nil, shapeErrorf(l.name, "input shape %v has no channels", in[0])
	}
	l.shape = in[0].Clone()
	l.channels = in[0][0]
	l.spatial = in[0].Size() / l.channels
	return l.shape.Clone(), nil
}

// ForwardFLOPs implements [FLOPer]: the window's squares and sum, the
// scale, its power and the product, per element.
func (l *LRN) ForwardFLOPs() int64 {
	return int64(l.channels) * int64(l.spatial) * int64(2*l.cfg.Size+5)
}

// Forward implements [Layer].
func (l *LRN) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	if need := len(in[0].Data); cap(l.scale) < need {
		l.scale = make([]float32, need)
	}
	l.scale = l.scale[:len(in[0].Data)]
	l.x, l.y = in[0], out
	ctx.For(in[0].Batch(), l.forwardWorker)
	l.x, l.y = nil, nil
}

// Backward implements [Layer].
func (l *LRN) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	if len(dIn) == 0 || dIn[0] == nil {
		return
	}
	threads := max(ctx.Threads, 1)
	for len(l.ratios) < threads {
		l.ratios = append(l.ratios, make([]float32, l.channels*l.spatial))
	}
	l.x, l.y, l.dy, l.dx = in[0], out, dOut, dIn[0]
	ctx.For(in[0].Batch(), l.backwardWorker)
	l.x, l.y, l.dy, l.dx = nil, nil, nil, nil
}

// window returns the channels [lo, hi) around c.
func (l *LRN) window(c int) (lo, hi int) {
	half := (l.cfg.Size - 1) / 2
	return max(c-half, 0), min(c+half+1, l.channels)
}

// forwardSamples normalises samples [lo, hi).
func (l *LRN) forwardSamples(_, lo, hi int) {
	per := l.channels * l.spatial
	s := l.spatial
	coef := l.cfg.Alpha / float32(l.cfg.Size)
	for n := lo; n < hi; n++ {
		x := l.x.Data[n*per : (n+1)*per]
		y := l.y.Data[n*per : (n+1)*per]
		scale := l.scale[n*per : (n+1)*per]
		for c := 0; c < l.channels; c++ {
			sc := scale[c*s : (c+1)*s]
			clear(sc)
			w0, w1 := l.window(c)
			for cc := w0; cc < w1; cc++ {
				xc := x[cc*s : (cc+1)*s]
				for i, v := range xc {
					sc[i] += v * v
				}
			}
			xc, yc := x[c*s:(c+1)*s], y[c*s:(c+1)*s]
			for i := range sc {
				sc[i] = l.cfg.K + coef*sc[i]
				yc[i] = xc[i] * powNeg(sc[i], l.cfg.Beta)
			}
		}
	}
}

// backwardSamples computes the input gradient of samples [lo, hi) on
// worker w.
func (l *LRN) backwardSamples(w, lo, hi int) {
	per := l.channels * l.spatial
	s := l.spatial
	coef := 2 * l.cfg.Alpha * l.cfg.Beta / float32(l.cfg.Size)
	ratio := l.ratios[w]
	for n := lo; n < hi; n++ {
		x := l.x.Data[n*per : (n+1)*per]
		y := l.y.Data[n*per : (n+1)*per]
		dy := l.dy.Data[n*per : (n+1)*per]
		dx := l.dx.Data[n*per : (n+1)*per]
		scale := l.scale[n*per : (n+1)*per]
		for i := range ratio {
			ratio[i] = dy[i] * y[i] / scale[i]
		}
		for c := 0; c < l.channels; c++ {
			dxc := dx[c*s : (c+1)*s]
			clear(dxc)
			w0, w1 := l.window(c)
			for cc := w0; cc < w1; cc++ {
				for i, v := range ratio[cc*s : (cc+1)*s] {
					dxc[i] += v
				}
			}
			xc, dyc, sc := x[c*s:(c+1)*s], dy[c*s:(c+1)*s], scale[c*s:(c+1)*s]
			for i := range dxc {
				dxc[i] = dyc[i]*powNeg(sc[i], l.cfg.Beta) - coef*xc[i]*dxc[i]
			}
		}
	}
}

// powNeg returns v^(-beta) for v > 0, with a fast path for the usual
// beta of 0.75: two square roots instead of a logarithm and an exponential.
func powNeg(v, beta float32) float32 {
	if beta == 0.75 {
		r := math.Sqrt(float64(v))
		return float32(1 / (r * math.Sqrt(r)))
	}
	return float32(math.Pow(float64(v), -float64(beta)))
}

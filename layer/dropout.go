package layer

import (
	"math"

	"github.com/mariana-dl/mariana/tensor"
)

// Dropout is the "dropout" layer. In training it zeroes each element with
// probability Rate and scales the rest by 1/(1-Rate), so that evaluation
// can be the identity.
//
// The mask holds no state: whether an element is kept is a hash of the
// layer's seed, the global step, the element's global sample index
// (Context.SampleOffset plus its index in the batch) and its index in the
// sample. A resumed run, and a mini-batch split among replicas, therefore
// drop exactly the elements a single uninterrupted run would, and Backward
// recomputes the mask instead of storing it.
type Dropout struct {
	name string
	rate float32
	seed uint64

	// threshold is Rate in units of 2⁻³²: an element is dropped when the
	// top 32 bits of its hash are below it.
	threshold uint64
	scale     float32
	per       int // elements per sample

	// first is the index, in the whole layer's sample, of this layer's
	// first element: 0, except for a [DropoutSlice].
	first int
}

// NewDropout returns a dropout layer.
func NewDropout(name string, cfg DropoutConfig) *Dropout {
	return &Dropout{name: name, rate: cfg.Rate}
}

// Name implements Layer.
func (l *Dropout) Name() string { return l.name }

// Type implements Layer.
func (l *Dropout) Type() string { return "dropout" }

// Params implements Layer: dropout has none.
func (l *Dropout) Params() []*Param { return nil }

// Init implements Initializer: it sets the seed of the masks.
func (l *Dropout) Init(seed uint64) { l.seed = seed }

// Setup implements Layer: one input of any shape, output of the same shape.
func (l *Dropout) Setup(in []tensor.Shape) (tensor.Shape, error) {
	if !(l.rate >= 0 && l.rate < 1) {
		return nil, configErrorf(l.name, "rate must be in [0, 1), got %v", l.rate)
	}
	if len(in) != 1 {
		return nil, shapeErrorf(l.name, "takes 1 input, got %d", len(in))
	}
	l.threshold = uint64(math.Round(float64(l.rate) * (1 << 32)))
	l.scale = 1 / (1 - l.rate)
	l.per = in[0].Size()
	return in[0].Clone(), nil
}

// Forward implements Layer: the masked, scaled input in training, the
// input itself otherwise.
func (l *Dropout) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	if !ctx.Train || l.threshold == 0 {
		copy(out.Data, in[0].Data)
		return
	}
	l.masked(ctx, in[0].Data, out.Data)
}

// Backward implements Layer: dx = dOut masked and scaled as in Forward.
func (l *Dropout) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	if dIn[0] == nil {
		return
	}
	if l.threshold == 0 {
		copy(dIn[0].Data, dOut.Data)
		return
	}
	l.masked(ctx, dOut.Data, dIn[0].Data)
}

// masked computes y = x·mask·scale for a batch, split by samples among
// ctx.Threads goroutines when it is large enough.
func (l *Dropout) masked(ctx *Context, x, y []float32) {
	n := len(x) / l.per
	if ctx.Threads <= 1 || len(x) < parThreshold {
		l.maskSamples(ctx.Step, ctx.SampleOffset, 0, n, x, y)
		return
	}
	step, offset := ctx.Step, ctx.SampleOffset
	ctx.For(n, func(_, lo, hi int) {
		l.maskSamples(step, offset, lo, hi, x, y)
	})
}

// maskSamples does masked's work for samples [lo, hi) of the batch.
func (l *Dropout) maskSamples(step int64, offset, lo, hi int, x, y []float32) {
	for s := lo; s < hi; s++ {
		key := l.sampleKey(step, offset+s)
		xs, ys := x[s*l.per:(s+1)*l.per], y[s*l.per:(s+1)*l.per]
		for i, v := range xs {
			if elemHash(key, l.first+i)>>32 < l.threshold {
				ys[i] = 0
			} else {
				ys[i] = v * l.scale
			}
		}
	}
}

// keeps reports whether element elem of global sample sample is kept at
// step.
func (l *Dropout) keeps(step int64, sample, elem int) bool {
	return elemHash(l.sampleKey(step, sample), elem)>>32 >= l.threshold
}

// sampleKey hashes what identifies a sample's mask. Each word passes
// through the mixer before the next is folded in, so that no two
// (seed, step, sample) triples are likely to share a key; adding golden
// keeps zeros (mix64's fixed point) from passing straight through.
func (l *Dropout) sampleKey(step int64, sample int) uint64 {
	k := mix64(l.seed + golden)
	k = mix64((k ^ uint64(step)) + golden)
	return mix64((k ^ uint64(sample)) + golden)
}

// elemHash is the hash of element elem of the sample whose key is key:
// SplitMix64's output for counter elem+1.
func elemHash(key uint64, elem int) uint64 {
	return mix64(key + uint64(elem+1)*golden)
}

// golden is 2⁶⁴ divided by the golden ratio, SplitMix64's counter step.
const golden = 0x9e3779b97f4a7c15

// mix64 is SplitMix64's finaliser, a bijection on 64-bit words whose
// output bits each depend on every input bit.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

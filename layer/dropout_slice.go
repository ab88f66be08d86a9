package layer

import (
	"github.com/mariana-dl/mariana/tensor"
)

// DropoutSlice is the part of a [Dropout] that covers a contiguous run of
// each sample's elements, starting at element Offset of the whole sample:
// the column of a dropout layer in a network cut into partitions by
// channels. It draws the masks the whole layer draws for those elements
// (the mask of an element hashes its index in the whole sample), so the
// partitioned network drops exactly what the whole network drops. Init
// takes the whole layer's seed.
type DropoutSlice struct {
	Dropout
	offset int
}

// NewDropoutSlice returns the slice of a dropout layer configured by cfg
// whose first element is element offset of the whole layer's sample.
func NewDropoutSlice(name string, cfg DropoutConfig, offset int) *DropoutSlice {
	return &DropoutSlice{Dropout: Dropout{name: name, rate: cfg.Rate}, offset: offset}
}

// Offset returns the index in the whole sample of the slice's first
// element.
func (l *DropoutSlice) Offset() int { return l.offset }

// Setup implements [Layer]: as [Dropout.Setup], and the offset must not be
// negative.
func (l *DropoutSlice) Setup(in []tensor.Shape) (tensor.Shape, error) {
	if l.offset < 0 {
		return nil, configErrorf(l.name, "slice offset must not be negative, got %d",
			l.offset)
	}
	return l.Dropout.Setup(in)
}

// Forward implements [Layer].
func (l *DropoutSlice) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	if !ctx.Train || l.threshold == 0 {
		copy(out.Data, in[0].Data)
		return
	}
	l.maskedSlice(ctx, in[0].Data, out.Data)
}

// Backward implements [Layer].
func (l *DropoutSlice) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	if dIn[0] == nil {
		return
	}
	if l.threshold == 0 {
		copy(dIn[0].Data, dOut.Data)
		return
	}
	l.maskedSlice(ctx, dOut.Data, dIn[0].Data)
}

// maskedSlice is [Dropout.masked] with the element indices shifted by the
// offset.
func (l *DropoutSlice) maskedSlice(ctx *Context, x, y []float32) {
	n := len(x) / l.per
	if ctx.Threads <= 1 || len(x) < parThreshold {
		l.maskSlice(ctx.Step, ctx.SampleOffset, 0, n, x, y)
		return
	}
	step, offset := ctx.Step, ctx.SampleOffset
	ctx.For(n, func(_, lo, hi int) {
		l.maskSlice(step, offset, lo, hi, x, y)
	})
}

// maskSlice masks samples [lo, hi) of the batch.
func (l *DropoutSlice) maskSlice(step int64, offset, lo, hi int, x, y []float32) {
	for s := lo; s < hi; s++ {
		key := l.sampleKey(step, offset+s)
		xs, ys := x[s*l.per:(s+1)*l.per], y[s*l.per:(s+1)*l.per]
		for i, v := range xs {
			if elemHash(key, l.offset+i)>>32 < l.threshold {
				ys[i] = 0
			} else {
				ys[i] = v * l.scale
			}
		}
	}
}

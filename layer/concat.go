package layer

import (
	"github.com/mariana-dl/mariana/tensor"
)

// Concat is the "concat" layer: it joins its inputs along the channel axis,
// the first axis of a per-sample shape (C of C×H×W, or of a vector C). The
// other axes must agree. The two-column network of Krizhevsky et al. uses
// it where its columns meet.
type Concat struct {
	name string

	// blocks[i] is the size of input i's part of one sample, and
	// per the size of a whole output sample.
	blocks []int
	per    int
}

// NewConcat returns a concat layer.
func NewConcat(name string) *Concat { return &Concat{name: name} }

// Name implements Layer.
func (l *Concat) Name() string { return l.name }

// Type implements Layer.
func (l *Concat) Type() string { return "concat" }

// Params implements Layer: concat has none.
func (l *Concat) Params() []*Param { return nil }

// Setup implements Layer: one or more inputs whose per-sample shapes agree
// but for the first axis; the output's first axis is the sum of theirs.
func (l *Concat) Setup(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) == 0 {
		return nil, shapeErrorf(l.name, "takes at least 1 input, got 0")
	}
	if len(in[0]) == 0 {
		return nil, shapeErrorf(l.name, "input 0 is a scalar; concat joins along channels")
	}
	out := in[0].Clone()
	for i, s := range in[1:] {
		if len(s) != len(out) || !tensor.Shape(s[1:]).Equal(out[1:]) {
			return nil, shapeErrorf(l.name,
				"input %d has shape %v, which does not match input 0's %v but for channels",
				i+1, s, in[0])
		}
		out[0] += s[0]
	}

	l.blocks = make([]int, len(in))
	for i, s := range in {
		l.blocks[i] = s.Size()
	}
	l.per = out.Size()
	return out, nil
}

// Forward implements Layer.
func (l *Concat) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	n := in[0].Batch()
	for s := 0; s < n; s++ {
		o := out.Data[s*l.per : (s+1)*l.per]
		for i, x := range in {
			b := l.blocks[i]
			copy(o[:b], x.Data[s*b:(s+1)*b])
			o = o[b:]
		}
	}
}

// Backward implements Layer: each input's gradient is its part of dOut.
func (l *Concat) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	n := in[0].Batch()
	for s := 0; s < n; s++ {
		d := dOut.Data[s*l.per : (s+1)*l.per]
		for i, dx := range dIn {
			b := l.blocks[i]
			if dx != nil {
				copy(dx.Data[s*b:(s+1)*b], d[:b])
			}
			d = d[b:]
		}
	}
}

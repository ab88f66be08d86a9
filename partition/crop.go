package partition

import (
	"fmt"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// Crop is the layer that keeps channels [Lo, Hi) of its input: the
// channels of its own column when a piece of a partitioned network was
// computed with a halo (LRN), or the part of a local tensor a column reads.
// Its type word is "crop"; no spec names it.
type Crop struct {
	name   string
	lo, hi int

	// per is the size of an input sample, skip the offset of the kept
	// channels in it and keep their size.
	per, skip, keep int
}

// NewCrop returns a layer keeping channels [lo, hi) of its input.
func NewCrop(name string, lo, hi int) *Crop { return &Crop{name: name, lo: lo, hi: hi} }

// Name implements layer.Layer.
func (l *Crop) Name() string { return l.name }

// Type implements layer.Layer.
func (l *Crop) Type() string { return "crop" }

// Params implements layer.Layer: a crop has none.
func (l *Crop) Params() []*layer.Param { return nil }

// Setup implements layer.Layer: one input with at least Hi channels.
func (l *Crop) Setup(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) != 1 || len(in[0]) == 0 {
		return nil, fmt.Errorf("partition: crop %s takes one input with channels, got %v",
			l.name, in)
	}
	c := channels(in[0])
	if l.lo < 0 || l.hi > c || l.lo >= l.hi {
		return nil, fmt.Errorf("partition: crop %s: channels [%d, %d) of an input with %d",
			l.name, l.lo, l.hi, c)
	}
	spatial := in[0].Size() / c
	l.per, l.skip, l.keep = in[0].Size(), l.lo*spatial, (l.hi-l.lo)*spatial
	return withChannels(in[0], l.hi-l.lo), nil
}

// Forward implements layer.Layer.
func (l *Crop) Forward(_ *layer.Context, in []*tensor.Tensor, out *tensor.Tensor) {
	x := in[0].Data
	for s := range in[0].Batch() {
		copy(out.Data[s*l.keep:(s+1)*l.keep], x[s*l.per+l.skip:s*l.per+l.skip+l.keep])
	}
}

// Backward implements layer.Layer: the gradient of the kept channels is
// dOut's, that of the others zero.
func (l *Crop) Backward(_ *layer.Context, in []*tensor.Tensor, _, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	if dIn[0] == nil {
		return
	}
	dx := dIn[0].Data
	clear(dx)
	for s := range in[0].Batch() {
		copy(dx[s*l.per+l.skip:s*l.per+l.skip+l.keep], dOut.Data[s*l.keep:(s+1)*l.keep])
	}
}

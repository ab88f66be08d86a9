package partition

import (
	"fmt"
	"sync/atomic"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// link joins the two ends of a Transfer Layer inside one worker group: a
// node of the producing worker and the Transfer Layer of the consuming
// worker, which run on different goroutines.
//
// Note [Transfer ordering]. Every step, the producer computes its node's
// output and sends on fwd; the consumer's Transfer Layer waits for it, then
// copies the channels it carries from the producer's output into its own
// output, which is in the consumer's memory. Backward, the Transfer Layer
// copies the gradient of its output into grad, which is in the producer's
// memory, and sends on bwd; the producer waits for it before it sums the
// gradients of its node's output. The channels are buffered for one
// message, so sending never blocks, and the producer does not write its
// output, nor the consumer grad, again before every worker has met at the
// end of the step, so a buffer is never written while the other side reads
// it. Each worker runs its nodes in the plan's order, one topological order
// of the whole partitioned network (and backward in reverse), so a worker
// only ever waits for a node that comes earlier in that order: the group
// cannot deadlock.
type link struct {
	src  *tensor.Tensor // the producer node's output
	grad *tensor.Tensor // the gradient of the carried channels, for the producer

	// Each sample of src has per values; the carried channels are keep
	// values from offset skip.
	per, skip, keep int

	fwd, bwd chan struct{}

	// bytes counts what crossed, both ways, since the run started.
	bytes atomic.Int64
}

func newLink(src *tensor.Tensor, srcShape tensor.Shape, lo, hi int) *link {
	spatial := srcShape.Size() / channels(srcShape)
	return &link{src: src, grad: &tensor.Tensor{}, per: srcShape.Size(), skip: lo * spatial,
		keep: (hi - lo) * spatial, fwd: make(chan struct{}, 1), bwd: make(chan struct{}, 1)}
}

// wait waits for a message on ch, or returns ErrAborted when abort closes
// first.
func wait(ch chan struct{}, abort <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-abort:
		return ErrAborted
	}
}

// Transfer is the Transfer Layer: on the consuming worker, it copies
// activations of a node of another worker forward into its own output,
// and their gradients backward into the producer's memory, so that every
// layer computes on local data. It has no inputs in its own partition: the
// worker waits for its link before Forward and signals it after Backward
// (see Note [Transfer ordering]). Its type word is "transfer".
type Transfer struct {
	name  string
	shape tensor.Shape
	link  *link
}

// newTransfer returns the consuming end of link, whose output has the
// given per-sample shape.
func newTransfer(name string, shape tensor.Shape, l *link) *Transfer {
	return &Transfer{name: name, shape: shape.Clone(), link: l}
}

// Name implements layer.Layer.
func (t *Transfer) Name() string { return t.name }

// Type implements layer.Layer.
func (t *Transfer) Type() string { return "transfer" }

// Params implements layer.Layer: a transfer has none.
func (t *Transfer) Params() []*layer.Param { return nil }

// Setup implements layer.Layer: no inputs; the output is the carried
// channels of the producer's output.
func (t *Transfer) Setup(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) != 0 {
		return nil, fmt.Errorf("partition: transfer %s takes no local inputs, got %d",
			t.name, len(in))
	}
	return t.shape.Clone(), nil
}

// Forward implements layer.Layer: it copies the carried channels of each
// sample of the producer's output.
func (t *Transfer) Forward(_ *layer.Context, _ []*tensor.Tensor, out *tensor.Tensor) {
	l := t.link
	n := out.Batch()
	for s := range n {
		copy(out.Data[s*l.keep:(s+1)*l.keep], l.src.Data[s*l.per+l.skip:s*l.per+l.skip+l.keep])
	}
	l.bytes.Add(int64(n*l.keep) * 4)
}

// Backward implements layer.Layer: it copies dOut into the producer's
// gradient buffer.
func (t *Transfer) Backward(_ *layer.Context, _ []*tensor.Tensor, out, dOut *tensor.Tensor,
	_ []*tensor.Tensor) {
	l := t.link
	l.grad.Resize(t.shape, out.Batch())
	copy(l.grad.Data, dOut.Data)
	l.bytes.Add(int64(len(dOut.Data)) * 4)
}

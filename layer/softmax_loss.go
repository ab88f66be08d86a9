package layer

import (
	"math"

	"github.com/mariana-dl/mariana/tensor"
)

// SoftmaxLoss is the "softmax_loss" layer: softmax over each sample's C
// logits followed by the cross-entropy with the sample's label.
//
// Inputs are the logits (any per-sample shape, flattened to C values) and
// the labels (per-sample shape {1}, the class index stored as a float32).
// The output, per-sample shape {1}, is each sample's loss
// -log softmax(x)[label], computed stably as logsumexp(x) - x[label].
//
// A label that is not an integer in [0, C) gives a NaN loss and NaN
// gradients for that sample rather than a panic, so that a bad record
// stops training through the usual non-finite-loss check; readers are
// expected to reject such labels first, naming the record.
type SoftmaxLoss struct {
	name    string
	classes int
}

// NewSoftmaxLoss returns a softmax cross-entropy loss layer.
func NewSoftmaxLoss(name string) *SoftmaxLoss { return &SoftmaxLoss{name: name} }

// Name implements Layer.
func (l *SoftmaxLoss) Name() string { return l.name }

// Type implements Layer.
func (l *SoftmaxLoss) Type() string { return "softmax_loss" }

// Params implements Layer: the loss has none.
func (l *SoftmaxLoss) Params() []*Param { return nil }

// Setup implements Layer: inputs logits and labels, output {1}.
func (l *SoftmaxLoss) Setup(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) != 2 {
		return nil, shapeErrorf(l.name, "takes 2 inputs (logits, labels), got %d", len(in))
	}
	l.classes = in[0].Size()
	if l.classes <= 0 {
		return nil, shapeErrorf(l.name, "logits shape %v is empty", in[0])
	}
	if in[1].Size() != 1 {
		return nil, shapeErrorf(l.name, "labels must hold 1 value per sample, got shape %v",
			in[1])
	}
	return tensor.Shape{1}, nil
}

// Forward implements Layer.
func (l *SoftmaxLoss) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	x, labels := in[0].Data, in[1].Data
	n := len(labels)
	if ctx.Threads <= 1 || len(x) < parThreshold {
		l.forward(x, labels, out.Data, 0, n)
		return
	}
	ctx.For(n, func(_, lo, hi int) {
		l.forward(x, labels, out.Data, lo, hi)
	})
}

// Backward implements Layer: dx[i,c] = (softmax(x_i)[c] - 1[c = label_i])
// · dOut[i]. The labels take no gradient; a dIn[1] given anyway is zeroed.
func (l *SoftmaxLoss) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	if len(dIn) > 1 && dIn[1] != nil {
		clear(dIn[1].Data)
	}
	if dIn[0] == nil {
		return
	}
	x, labels, dx := in[0].Data, in[1].Data, dIn[0].Data
	n := len(labels)
	if ctx.Threads <= 1 || len(x) < parThreshold {
		l.backward(x, labels, dOut.Data, dx, 0, n)
		return
	}
	ctx.For(n, func(_, lo, hi int) {
		l.backward(x, labels, dOut.Data, dx, lo, hi)
	})
}

// forward computes the loss of samples [lo, hi).
func (l *SoftmaxLoss) forward(x, labels, loss []float32, lo, hi int) {
	c := l.classes
	for i := lo; i < hi; i++ {
		xi := x[i*c : (i+1)*c]
		label, ok := l.label(labels[i])
		if !ok {
			loss[i] = float32(math.NaN())
			continue
		}
		loss[i] = float32(logSumExp(xi) - float64(xi[label]))
	}
}

// backward computes the logits' gradient for samples [lo, hi).
func (l *SoftmaxLoss) backward(x, labels, dy, dx []float32, lo, hi int) {
	c := l.classes
	for i := lo; i < hi; i++ {
		xi, dxi := x[i*c:(i+1)*c], dx[i*c:(i+1)*c]
		label, ok := l.label(labels[i])
		if !ok {
			for j := range dxi {
				dxi[j] = float32(math.NaN())
			}
			continue
		}

		// softmax(x)[j] = e^(x[j] - logsumexp(x)): recomputing it costs
		// one exponential per logit and keeps the layer free of scratch.
		lse, g := logSumExp(xi), float64(dy[i])
		for j, v := range xi {
			dxi[j] = float32(math.Exp(float64(v)-lse) * g)
		}
		dxi[label] -= dy[i]
	}
}

// label returns the class index stored in v, and false when v is not an
// integer in [0, classes).
func (l *SoftmaxLoss) label(v float32) (int, bool) {
	if !(v >= 0 && v < float32(l.classes)) || v != float32(math.Trunc(float64(v))) {
		return 0, false
	}
	return int(v), true
}

// logSumExp returns log Σ e^x[j], shifted by the maximum so that no
// exponential overflows.
func logSumExp(x []float32) float64 {
	m := float64(x[0])
	for _, v := range x[1:] {
		m = max(m, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

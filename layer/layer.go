package layer

import (
	"github.com/mariana-dl/mariana/tensor"
)

// Layer is one node of a network.
//
// Buffers: Forward writes out, which the caller has resized to the output
// shape Setup returned with the batch size of in[0]. Backward reads dOut
// and overwrites dIn[i] (sized like in[i]) and the Grad of every parameter;
// dIn[i] is nil when no gradient is wanted for that input (for example the
// data), and the layer then skips that work. Backward is only called after a
// Forward with Context.Train set, on the same in and out.
//
// A layer must not allocate in Forward or Backward once it has seen the
// largest batch it will get: scratch buffers are kept and reused.
type Layer interface {
	// Name is the layer's unique name in its network, as in the spec.
	Name() string

	// Type is the spec's type word for the layer, such as "conv".
	Type() string

	// Setup checks the per-sample input shapes, creates the parameters,
	// and returns the per-sample output shape. It is called once.
	Setup(in []tensor.Shape) (tensor.Shape, error)

	// Params returns the learnable parameters, in a fixed order; nil when
	// there are none.
	Params() []*Param

	// Forward computes out from in.
	Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor)

	// Backward computes the gradients of the inputs and parameters from
	// dOut, the gradient of the loss with respect to out.
	Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor, dIn []*tensor.Tensor)
}

// Initializer is a layer whose parameters need filling before training.
// Init is given a seed derived from the network seed and the layer's name,
// so the same network gets the same weights however it is partitioned.
type Initializer interface {
	Init(seed uint64)
}

// FLOPer is a layer that can estimate its cost: floating-point operations
// of one sample's forward pass. Planners use it to balance partitions.
type FLOPer interface {
	ForwardFLOPs() int64
}

// Factored is a layer whose weight gradient is the product of two factors
// the passes already hold: dW = dOutᵀ·x, where x is the layer's only input
// with each sample flattened to one row and dOut is the gradient of its
// output. A data-parallel trainer whose replicas share memory can then
// compute the rows of dW a device owns over every replica's samples,
// instead of each replica computing all of dW over its own and the
// replicas summing them (sufficient factors).
type Factored interface {
	// FactoredWeight returns the weight, a matrix of one row per output.
	FactoredWeight() *Param

	// LeaveWeightGrad makes Backward leave the weight gradient alone
	// (leave) or compute it; the other gradients are computed either way.
	LeaveWeightGrad(leave bool)
}

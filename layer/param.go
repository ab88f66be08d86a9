package layer

import "github.com/mariana-dl/mariana/tensor"

// Param is a learnable parameter: its value, the gradient Backward writes,
// and the multipliers the spec sets for the layer that owns it.
type Param struct {
	// Name is layer.kind, such as "fc1.weight" or "conv2.bias"; checkpoints
	// use it as the tensor name.
	Name string

	// Value holds the parameter and Grad its gradient, of the same shape.
	Value, Grad *tensor.Tensor

	// LRMult scales the solver's learning rate for this parameter
	// (default 1); DecayMult scales its weight decay (default 1 for
	// weights, 0 for biases).
	LRMult, DecayMult float32
}

// NewParam returns a zeroed parameter of the given shape with LRMult 1 and
// the given decay multiplier.
func NewParam(name string, decayMult float32, shape ...int) *Param {
	return &Param{
		Name:      name,
		Value:     tensor.New(shape...),
		Grad:      tensor.New(shape...),
		LRMult:    1,
		DecayMult: decayMult,
	}
}

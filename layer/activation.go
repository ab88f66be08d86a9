package layer

import (
	"math"

	"github.com/mariana-dl/mariana/tensor"
)

// parThreshold is the element count under which an element-wise loop runs
// on the calling goroutine: below it, starting goroutines costs more than
// the loop.
const parThreshold = 1 << 15

// unary is what the element-wise activations share: one input, an output
// of the same shape, no parameters.
type unary struct{ name string }

// Name implements Layer.
func (u unary) Name() string { return u.name }

// Params implements Layer: an activation has none.
func (u unary) Params() []*Param { return nil }

// Setup implements Layer: one input of any shape, output of the same shape.
func (u unary) Setup(in []tensor.Shape) (tensor.Shape, error) {
	if len(in) != 1 {
		return nil, shapeErrorf(u.name, "takes 1 input, got %d", len(in))
	}
	return in[0].Clone(), nil
}

// ReLU is the "relu" layer: out = max(x, 0). NaN passes through, so that a
// diverging network is noticed.
type ReLU struct{ unary }

// NewReLU returns a ReLU layer.
func NewReLU(name string) *ReLU { return &ReLU{unary{name}} }

// Type implements Layer.
func (l *ReLU) Type() string { return "relu" }

// Forward implements Layer.
func (l *ReLU) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	map2(ctx, reluForward, in[0].Data, out.Data)
}

// Backward implements Layer: dx = dOut where x > 0, else 0.
func (l *ReLU) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	if dIn[0] != nil {
		map3(ctx, reluBackward, in[0].Data, dOut.Data, dIn[0].Data)
	}
}

func reluForward(x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = relu(v)
	}
}

func reluBackward(x, dy, dx []float32) {
	dy, dx = dy[:len(x)], dx[:len(x)]
	for i, v := range x {
		dx[i] = reluGrad(v, dy[i])
	}
}

// relu returns 0 for v < 0 and v otherwise (-0 and NaN pass unchanged, as
// a comparison-and-branch version gives them). It works on the bits, with a
// conditional move rather than a branch: activations are positive or
// negative at random, and the branch mispredicted half the time.
func relu(v float32) float32 {
	b := math.Float32bits(v)
	keep := ^uint32(0)

	// b-0x80000001 wraps below 0x7f800000 exactly for the negative
	// numbers from the smallest subnormal to -Inf, not -0 or NaN.
	if b-0x80000001 < 0x7f800000 {
		keep = 0
	}
	return math.Float32frombits(b & keep)
}

// reluGrad returns dy where x > 0, else +0, without a branch (see relu).
func reluGrad(x, dy float32) float32 {
	// b-1 stays below 0x7f800000 exactly for +subnormals to +Inf.
	keep := ^uint32(0)
	if math.Float32bits(x)-1 >= 0x7f800000 {
		keep = 0
	}
	return math.Float32frombits(math.Float32bits(dy) & keep)
}

// Sigmoid is the "sigmoid" layer: out = 1 / (1 + e^-x).
type Sigmoid struct{ unary }

// NewSigmoid returns a sigmoid layer.
func NewSigmoid(name string) *Sigmoid { return &Sigmoid{unary{name}} }

// Type implements Layer.
func (l *Sigmoid) Type() string { return "sigmoid" }

// Forward implements Layer.
func (l *Sigmoid) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	map2(ctx, sigmoidForward, in[0].Data, out.Data)
}

// Backward implements Layer: dx = dOut·y·(1 - y), from the output, which
// saves recomputing the exponential.
func (l *Sigmoid) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	if dIn[0] != nil {
		map3(ctx, sigmoidBackward, out.Data, dOut.Data, dIn[0].Data)
	}
}

func sigmoidForward(x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		// e^-x overflows to +Inf for very negative x, which still
		// gives the right limit 0.
		y[i] = float32(1 / (1 + math.Exp(-float64(v))))
	}
}

func sigmoidBackward(y, dy, dx []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	for i, v := range y {
		dx[i] = dy[i] * v * (1 - v)
	}
}

// Tanh is the "tanh" layer: out = tanh(x).
type Tanh struct{ unary }

// NewTanh returns a tanh layer.
func NewTanh(name string) *Tanh { return &Tanh{unary{name}} }

// Type implements Layer.
func (l *Tanh) Type() string { return "tanh" }

// Forward implements Layer.
func (l *Tanh) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	map2(ctx, tanhForward, in[0].Data, out.Data)
}

// Backward implements Layer: dx = dOut·(1 - y²), from the output.
func (l *Tanh) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	if dIn[0] != nil {
		map3(ctx, tanhBackward, out.Data, dOut.Data, dIn[0].Data)
	}
}

func tanhForward(x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] = float32(math.Tanh(float64(v)))
	}
}

func tanhBackward(y, dy, dx []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	for i, v := range y {
		dx[i] = dy[i] * (1 - v*v)
	}
}

// map2 runs kernel(a, b) over the elements, split among ctx.Threads
// goroutines when there are enough of them.
func map2(ctx *Context, kernel func(a, b []float32), a, b []float32) {
	if ctx.Threads <= 1 || len(a) < parThreshold {
		kernel(a, b)
		return
	}
	ctx.For(len(a), func(_, lo, hi int) {
		kernel(a[lo:hi], b[lo:hi])
	})
}

// map3 is map2 for kernels of three slices.
func map3(ctx *Context, kernel func(a, b, c []float32), a, b, c []float32) {
	if ctx.Threads <= 1 || len(a) < parThreshold {
		kernel(a, b, c)
		return
	}
	ctx.For(len(a), func(_, lo, hi int) {
		kernel(a[lo:hi], b[lo:hi], c[lo:hi])
	})
}

package layer

import (
	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/tensor"
)

// FullyConnected is the "fc" layer: out = x·Wᵀ + b, where x is each sample
// flattened to K = C*H*W values, W is Outputs×K and b has Outputs elements.
type FullyConnected struct {
	name   string
	cfg    FullyConnectedConfig
	k      int
	weight *Param
	bias   *Param // nil with NoBias
}

// NewFullyConnected returns a fully connected layer; fills left unset
// default to xavier for the weight and constant 0 for the bias.
func NewFullyConnected(name string, cfg FullyConnectedConfig) *FullyConnected {
	cfg.WeightFill = cfg.WeightFill.withDefault(Fill{Kind: FillXavier})
	cfg.BiasFill = cfg.BiasFill.withDefault(Fill{Kind: FillConstant})
	return &FullyConnected{name: name, cfg: cfg}
}

// Name implements Layer.
func (l *FullyConnected) Name() string { return l.name }

// Type implements Layer.
func (l *FullyConnected) Type() string { return "fc" }

// Setup implements Layer: one input of any per-sample shape, output
// {Outputs}.
func (l *FullyConnected) Setup(in []tensor.Shape) (tensor.Shape, error) {
	if l.cfg.Outputs <= 0 {
		return nil, configErrorf(l.name, "outputs must be positive, got %d", l.cfg.Outputs)
	}
	if err := l.cfg.WeightFill.validate(l.name, "weight_fill"); err != nil {
		return nil, err
	}
	if err := l.cfg.BiasFill.validate(l.name, "bias_fill"); err != nil {
		return nil, err
	}
	if len(in) != 1 {
		return nil, shapeErrorf(l.name, "takes 1 input, got %d", len(in))
	}
	l.k = in[0].Size()
	if l.k <= 0 {
		return nil, shapeErrorf(l.name, "input shape %v is empty", in[0])
	}

	l.weight = NewParam(l.name+".weight", 1, l.cfg.Outputs, l.k)
	if !l.cfg.NoBias {
		l.bias = NewParam(l.name+".bias", 0, l.cfg.Outputs)
	}
	return tensor.Shape{l.cfg.Outputs}, nil
}

// Params implements Layer: the weight, then the bias unless NoBias.
func (l *FullyConnected) Params() []*Param {
	if l.bias == nil {
		return []*Param{l.weight}
	}
	return []*Param{l.weight, l.bias}
}

// Init implements Initializer.
func (l *FullyConnected) Init(seed uint64) {
	rng := newRNG(seed)
	l.cfg.WeightFill.apply(l.weight.Value.Data, l.k, l.cfg.Outputs, rng)
	if l.bias != nil {
		l.cfg.BiasFill.apply(l.bias.Value.Data, l.k, l.cfg.Outputs, rng)
	}
}

// ForwardFLOPs implements FLOPer.
func (l *FullyConnected) ForwardFLOPs() int64 {
	return 2 * int64(l.k) * int64(l.cfg.Outputs)
}

// Forward implements Layer.
func (l *FullyConnected) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	n, outputs := in[0].Batch(), l.cfg.Outputs
	x := blas.Matrix(n, l.k, in[0].Data)
	y := blas.Matrix(n, outputs, out.Data)
	w := blas.Matrix(outputs, l.k, l.weight.Value.Data)

	// Start every row of out at b and let the product add onto it: one
	// pass over out instead of two.
	beta := float32(0)
	if l.bias != nil {
		for i := 0; i < n; i++ {
			copy(out.Data[i*outputs:(i+1)*outputs], l.bias.Value.Data)
		}
		beta = 1
	}
	ctx.BLAS.Sgemm(blas.NoTrans, blas.Trans, 1, x, w, beta, y)
}

// Backward implements Layer: dW = dOutᵀ·x, db = the column sums of dOut,
// dx = dOut·W.
func (l *FullyConnected) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	n, outputs := in[0].Batch(), l.cfg.Outputs
	x := blas.Matrix(n, l.k, in[0].Data)
	dy := blas.Matrix(n, outputs, dOut.Data)
	dw := blas.Matrix(outputs, l.k, l.weight.Grad.Data)
	ctx.BLAS.Sgemm(blas.Trans, blas.NoTrans, 1, dy, x, 0, dw)

	if l.bias != nil {
		db := l.bias.Grad.Data
		clear(db)
		for i := 0; i < n; i++ {
			tensor.Axpy(1, dOut.Data[i*outputs:(i+1)*outputs], db)
		}
	}

	if dIn[0] != nil {
		w := blas.Matrix(outputs, l.k, l.weight.Value.Data)
		ctx.BLAS.Sgemm(blas.NoTrans, blas.NoTrans, 1, dy, w, 0,
			blas.Matrix(n, l.k, dIn[0].Data))
	}
}

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

	// outT holds the forward product transposed, Outputs×N (Note [Forward
	// product transposed]); it grows to the largest batch seen. out and n
	// are the forward pass's output and batch while it transposes, and
	// transposeWorker is transposeRange bound once, so that a step
	// allocates nothing.
	outT            []float32
	out             []float32
	n               int
	transposeWorker func(worker, lo, hi int)

	// leaveWeightGrad makes Backward skip dW (Factored).
	leaveWeightGrad bool
}

// FactoredWeight implements Factored: the weight, Outputs×K.
func (l *FullyConnected) FactoredWeight() *Param { return l.weight }

// LeaveWeightGrad implements Factored.
func (l *FullyConnected) LeaveWeightGrad(leave bool) { l.leaveWeightGrad = leave }

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
	w := blas.Matrix(outputs, l.k, l.weight.Value.Data)
	if !transposeForward(n, l.k, outputs) {
		// Start every row of out at b and let the product add onto it:
		// one pass over out instead of two.
		beta := float32(0)
		if l.bias != nil {
			for i := 0; i < n; i++ {
				copy(out.Data[i*outputs:(i+1)*outputs], l.bias.Value.Data)
			}
			beta = 1
		}
		ctx.BLAS.Sgemm(blas.NoTrans, blas.Trans, 1, x, w, beta, blas.Matrix(n, outputs, out.Data))
		return
	}

	if cap(l.outT) < n*outputs {
		l.outT = make([]float32, n*outputs)
	}
	yT := blas.Matrix(outputs, n, l.outT[:n*outputs])
	ctx.BLAS.Sgemm(blas.NoTrans, blas.Trans, 1, w, x, 0, yT)

	l.out, l.n = out.Data, n
	blocks := (outputs + transposeBlock - 1) / transposeBlock
	if ctx.Threads <= 1 || n*outputs < parThreshold {
		l.transposeRange(0, 0, blocks)
		return
	}
	if l.transposeWorker == nil {
		l.transposeWorker = l.transposeRange
	}
	ctx.For(blocks, l.transposeWorker)
}

// transposeRange writes tiles [lo, hi) of rows of the transposed product
// to the output, with the bias.
func (l *FullyConnected) transposeRange(_, lo, hi int) {
	var b []float32
	if l.bias != nil {
		b = l.bias.Value.Data
	}
	outputs := l.cfg.Outputs
	transposeAdd(l.out, l.outT, outputs, l.n, b, lo*transposeBlock,
		min(hi*transposeBlock, outputs))
}

// Note [Forward product transposed]. The forward product out = x·Wᵀ
// costs the same FLOPs as its transpose, outᵀ = W·xᵀ, but OpenBLAS 0.3.21
// (Cooperlake kernels, one core) runs the two at different speeds: where
// it takes an inner dimension k above 256 in one call (k a multiple of
// 32, see Note [Same bits on any thread count] in blas/openblas) and the
// batch is small, x·Wᵀ runs at 71 GFLOP/s for 1024 inputs and outputs and
// a batch of 64 and 85 for 128, where the layer's transposed form runs at
// 91 and 95. So for such layers with many outputs the layer computes outᵀ
// and transposes it back, adding the bias on the way; the transpose reads
// and writes only the batch's outputs, in tiles that stay in cache, at
// about 0.7 ns a value. Elsewhere x·Wᵀ is as fast or faster and the
// transpose would only add: k = 784 or 440 (cut in two calls), 10
// outputs, and batches of 256 (the speech DNN's 3000-output layer loses 3%
// there, and gains 5% at 128). The small batches of data-parallel replicas
// gain the most (go test -run '^$' -bench FullyConnectedForward ./layer).
//
// TODO: the rule is measured for one library version on one CPU; a
// different OpenBLAS could reverse it. Timing both forms at start-up would
// choose per layer, but the bits of a run would then depend on the load of
// the machine it started on; a choice per library and CPU model, stored
// beside the kernel choice of blas/openblas, would keep them fixed.

// transposeForward reports whether a layer of k inputs and the given
// outputs computes its forward product on a batch of n transposed (Note
// [Forward product transposed]).
func transposeForward(n, k, outputs int) bool {
	return n <= 128 && k > 256 && k%32 == 0 && outputs >= 256
}

// transposeBlock is the side of the square tiles transposeAdd works in.
const transposeBlock = 16

// transposeAdd writes rows [lo, hi) of src, a rows×cols matrix, as
// columns of dst, a cols×rows matrix, adding b[i] to row i when b is not
// nil. Within a tile it writes dst contiguously and reads src with a
// stride: the other way round, every write of a tile lands rows×4 bytes
// from the last, and the cache's sets alias (3x slower here).
func transposeAdd(dst, src []float32, rows, cols int, b []float32, lo, hi int) {
	for i0 := lo; i0 < hi; i0 += transposeBlock {
		i1 := min(i0+transposeBlock, hi)
		var bb []float32
		if b != nil {
			bb = b[i0:i1]
		}
		for j0 := 0; j0 < cols; j0 += transposeBlock {
			j1 := min(j0+transposeBlock, cols)
			for j := j0; j < j1; j++ {
				d := dst[j*rows+i0 : j*rows+i1]
				s := src[i0*cols+j:]
				if bb == nil {
					for t := range d {
						d[t] = s[t*cols]
					}
					continue
				}
				for t := range d {
					d[t] = s[t*cols] + bb[t]
				}
			}
		}
	}
}

// Backward implements Layer: dW = dOutᵀ·x, db = the column sums of dOut,
// dx = dOut·W.
func (l *FullyConnected) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	n, outputs := in[0].Batch(), l.cfg.Outputs
	x := blas.Matrix(n, l.k, in[0].Data)
	dy := blas.Matrix(n, outputs, dOut.Data)
	if !l.leaveWeightGrad {
		dw := blas.Matrix(outputs, l.k, l.weight.Grad.Data)
		ctx.BLAS.Sgemm(blas.Trans, blas.NoTrans, 1, dy, x, 0, dw)
	}

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

package layer

import (
	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/internal/kernel"
	"github.com/mariana-dl/mariana/tensor"
)

// gradBlocks is the most blocks of samples whose weight gradients Conv2D
// sums separately before adding them up. The blocks depend on the batch
// size only, never on the thread count, so that a run gives the same
// gradients bit for bit on any number of cores. Eight blocks keep two to
// eight threads busy while the final sum stays a few percent of the work.
//
// TODO: a device with more than eight threads leaves the extra ones idle
// during the weight-gradient pass of Backward; raise the bound (at the cost
// of a larger final sum) once such devices are in use.
const gradBlocks = 8

// Conv2D is a 2-D convolution (cross-correlation) with optional channel
// groups and bias.
//
// Input N×C×H×W, output N×F×OH×OW with F = Filters and
// OH = (H + 2·PadH - KernelH)/StrideH + 1 (likewise OW). The weight has
// shape F×(C/G)×KernelH×KernelW and the bias F, where G = Groups: the
// filters of group g see only input channels [g·C/G, (g+1)·C/G) and write
// output channels [g·F/G, (g+1)·F/G). For each sample n and filter f of
// group g,
//
//	out[n,f,i,j] = bias[f] + Σ_{c,p,q} W[f,c,p,q] · x[n, g·C/G+c, i', j']
//	i' = i·StrideH - PadH + p,  j' = j·StrideW - PadW + q
//
// with x zero in the padding.
//
// The work is im2col plus one matrix product per sample and group, the
// samples split among Context.Threads workers that each own their scratch
// and call Context.SerialBLAS. See the note on Backward for how the
// gradients are computed and why they do not depend on the thread count.
type Conv2D struct {
	name string
	cfg  Conv2DConfig

	weight, bias *Param
	out          tensor.Shape

	geom    windowGeom // the convolution of one group of one sample
	fGroup  int        // filters per group
	k       int        // weights per filter: rows of the column matrix
	ohw     int        // output positions: columns of the column matrix
	inGroup int        // input elements of one group of one sample
	direct  bool       // 1×1, stride 1, no padding: the input is its column matrix

	// fullGeom is the correlation of the output gradient with the flipped
	// filters that gives the input gradient when full is set (see Setup).
	fullGeom windowGeom
	full     bool

	// cols and dcols are each worker's column matrix and the scratch of
	// its input gradient; flipped holds the flipped, transposed filters
	// of the full path; partials holds each gradient block's sums.
	cols, dcols [][]float32
	flipped     []float32
	partials    []float32

	// masked is each worker's copy of one sample's output gradient with
	// the ReLU mask applied, for BackwardReLU.
	masked [][]float32

	// fwdDirect and bwdDirect are the direct forms (Note [Direct
	// convolution]) of the forward pass and of the full correlation that
	// gives the input gradient, or nil where a matrix product serves;
	// fwdScratch and bwdScratch are each worker's scratch for them.
	fwdDirect, bwdDirect   *directConv
	fwdScratch, bwdScratch [][]float32

	// wgrad is the weight gradient's form that reads a padded copy of the
	// input (Note [Weight gradient from the padded input]), or nil where
	// the column matrix serves; wgradScratch is each worker's scratch.
	wgrad        *paddedGrad
	wgradScratch [][]float32

	// The current call, read by the worker functions below, which are
	// bound once in the constructor so that a call allocates nothing.
	ctx            *Context
	x, y, dy, dx   *tensor.Tensor
	relu           bool
	blocks         int
	forwardWorker  func(worker, lo, hi int)
	backwardWorker func(worker, lo, hi int)
	reduceWorker   func(worker, lo, hi int)
}

// NewConv2D returns a convolution layer named name, applying the defaults
// of cfg: stride 1, one group, xavier weights and zero bias.
func NewConv2D(name string, cfg Conv2DConfig) *Conv2D {
	if cfg.StrideH == 0 {
		cfg.StrideH = 1
	}
	if cfg.StrideW == 0 {
		cfg.StrideW = 1
	}
	if cfg.Groups == 0 {
		cfg.Groups = 1
	}
	cfg.WeightFill = cfg.WeightFill.withDefault(Fill{Kind: FillXavier})
	cfg.BiasFill = cfg.BiasFill.withDefault(Fill{Kind: FillConstant})
	l := &Conv2D{name: name, cfg: cfg}
	l.forwardWorker = l.forwardRange
	l.backwardWorker = l.backwardBlocks
	l.reduceWorker = l.reduceRange
	return l
}

// Name implements [Layer].
func (l *Conv2D) Name() string { return l.name }

// Type implements [Layer].
func (l *Conv2D) Type() string { return "conv" }

// Config returns the configuration with defaults applied.
func (l *Conv2D) Config() Conv2DConfig { return l.cfg }

// Setup implements [Layer]. It takes one C×H×W input.
func (l *Conv2D) Setup(in []tensor.Shape) (tensor.Shape, error) {
	if err := l.checkConfig(); err != nil {
		return nil, err
	}
	if len(in) != 1 {
		return nil, shapeErrorf(l.name, "takes 1 input, got %d", len(in))
	}
	if len(in[0]) != 3 {
		return nil, shapeErrorf(l.name, "input shape %v is not channels×height×width", in[0])
	}
	c, h, w := in[0][0], in[0][1], in[0][2]
	cfg := l.cfg
	if c <= 0 || h <= 0 || w <= 0 {
		return nil, shapeErrorf(l.name, "input shape %v has an empty dimension", in[0])
	}
	if c%cfg.Groups != 0 {
		return nil, shapeErrorf(l.name, "groups %d does not divide %d input channels",
			cfg.Groups, c)
	}
	if cfg.KernelH > h+2*cfg.PadH {
		return nil, shapeErrorf(l.name, "kernel_h %d larger than padded input height %d",
			cfg.KernelH, h+2*cfg.PadH)
	}
	if cfg.KernelW > w+2*cfg.PadW {
		return nil, shapeErrorf(l.name, "kernel_w %d larger than padded input width %d",
			cfg.KernelW, w+2*cfg.PadW)
	}

	l.geom = windowGeom{
		Channels: c / cfg.Groups, Height: h, Width: w,
		KernelH: cfg.KernelH, KernelW: cfg.KernelW,
		StrideH: cfg.StrideH, StrideW: cfg.StrideW,
		PadH: cfg.PadH, PadW: cfg.PadW,
		OutH: (h+2*cfg.PadH-cfg.KernelH)/cfg.StrideH + 1,
		OutW: (w+2*cfg.PadW-cfg.KernelW)/cfg.StrideW + 1,
	}
	l.fGroup = cfg.Filters / cfg.Groups
	l.k = l.geom.colRows()
	l.ohw = l.geom.colCols()
	l.inGroup = l.geom.Channels * h * w
	l.direct = cfg.KernelH == 1 && cfg.KernelW == 1 && cfg.StrideH == 1 &&
		cfg.StrideW == 1 && cfg.PadH == 0 && cfg.PadW == 0

	// The input gradient of a stride-1 convolution is the correlation of
	// the output gradient, padded by kernel-1-pad, with the flipped
	// filters. When the output is at least as large as the input, as with
	// "same" padding, that costs no more arithmetic than the usual product
	// plus col2im, and replaces col2im's scattered additions by im2col's
	// block copies.
	l.full = !l.direct && cfg.StrideH == 1 && cfg.StrideW == 1 &&
		cfg.PadH <= cfg.KernelH-1 && cfg.PadW <= cfg.KernelW-1 && l.ohw >= h*w
	if l.full {
		l.fullGeom = windowGeom{
			Channels: l.fGroup, Height: l.geom.OutH, Width: l.geom.OutW,
			KernelH: cfg.KernelH, KernelW: cfg.KernelW, StrideH: 1, StrideW: 1,
			PadH: cfg.KernelH - 1 - cfg.PadH, PadW: cfg.KernelW - 1 - cfg.PadW,
			OutH: h, OutW: w,
		}
	}

	l.fwdDirect, l.bwdDirect, l.wgrad = nil, nil, nil
	if cfg.Groups == 1 && !l.direct {
		l.wgrad = newPaddedGrad(&l.geom, cfg.Filters)
		l.fwdDirect = newDirectConv(&l.geom, cfg.Filters)
		if l.full {
			l.bwdDirect = newDirectConv(&l.fullGeom, l.geom.Channels)
		}
	}

	l.weight = NewParam(l.name+".weight", 1, cfg.Filters, l.geom.Channels,
		cfg.KernelH, cfg.KernelW)
	if !cfg.NoBias {
		l.bias = NewParam(l.name+".bias", 0, cfg.Filters)
	}
	l.out = tensor.Shape{cfg.Filters, l.geom.OutH, l.geom.OutW}
	return l.out.Clone(), nil
}

// checkConfig validates the fields that do not depend on the input.
func (l *Conv2D) checkConfig() error {
	cfg := l.cfg
	for _, f := range []struct {
		name string
		v    int
	}{
		{"filters", cfg.Filters}, {"kernel_h", cfg.KernelH}, {"kernel_w", cfg.KernelW},
		{"stride_h", cfg.StrideH}, {"stride_w", cfg.StrideW}, {"groups", cfg.Groups},
	} {
		if f.v <= 0 {
			return configErrorf(l.name, "%s must be positive, got %d", f.name, f.v)
		}
	}
	if cfg.PadH < 0 {
		return configErrorf(l.name, "pad_h must not be negative, got %d", cfg.PadH)
	}
	if cfg.PadW < 0 {
		return configErrorf(l.name, "pad_w must not be negative, got %d", cfg.PadW)
	}
	if cfg.Filters%cfg.Groups != 0 {
		return configErrorf(l.name, "groups %d does not divide %d filters",
			cfg.Groups, cfg.Filters)
	}
	if err := cfg.WeightFill.validate(l.name, "weight_fill"); err != nil {
		return err
	}
	return cfg.BiasFill.validate(l.name, "bias_fill")
}

// Params implements [Layer]: the weight, then the bias unless NoBias.
func (l *Conv2D) Params() []*Param {
	if l.bias == nil {
		return []*Param{l.weight}
	}
	return []*Param{l.weight, l.bias}
}

// Init implements [Initializer]. The fans are Caffe's: fanIn = C/G·KernelH·
// KernelW weights feed each output, and fanOut = F/G·KernelH·KernelW
// outputs read each input.
func (l *Conv2D) Init(seed uint64) {
	rng := newRNG(seed)
	fanIn := l.k
	fanOut := l.fGroup * l.cfg.KernelH * l.cfg.KernelW
	l.cfg.WeightFill.apply(l.weight.Value.Data, fanIn, fanOut, rng)
	if l.bias != nil {
		l.cfg.BiasFill.apply(l.bias.Value.Data, fanIn, fanOut, rng)
	}
}

// ForwardFLOPs implements [FLOPer]: a multiply and an add per weight and
// output position, plus the bias.
func (l *Conv2D) ForwardFLOPs() int64 {
	f := int64(2) * int64(l.cfg.Filters) * int64(l.k) * int64(l.ohw)
	if l.bias != nil {
		f += int64(l.cfg.Filters) * int64(l.ohw)
	}
	return f
}

// grow sizes each worker's scratch for the given thread count; it
// allocates only the first time a thread count is seen.
func (l *Conv2D) grow(threads int) {
	if l.direct {
		return
	}
	for (l.fwdDirect == nil || l.wgrad == nil) && len(l.cols) < threads {
		l.cols = append(l.cols, make([]float32, l.k*l.ohw))
	}
	for l.wgrad != nil && len(l.wgradScratch) < threads {
		l.wgradScratch = append(l.wgradScratch, make([]float32, l.wgrad.scratchLen()))
	}
	for l.fwdDirect != nil && len(l.fwdScratch) < threads {
		l.fwdScratch = append(l.fwdScratch, make([]float32, l.fwdDirect.scratchLen()))
	}
}

// Forward implements [Layer].
func (l *Conv2D) Forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	l.forward(ctx, in, out, false)
}

// ForwardReLU is Forward followed by a [ReLU] of the output, bit for bit,
// applied to each sample while its output is still in cache. A network
// runs it in place of a ReLU that is the convolution's only reader, then
// calls BackwardReLU.
func (l *Conv2D) ForwardReLU(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor) {
	l.forward(ctx, in, out, true)
}

// forward is Forward, with the ReLU when relu is set.
func (l *Conv2D) forward(ctx *Context, in []*tensor.Tensor, out *tensor.Tensor, relu bool) {
	threads := max(ctx.Threads, 1)
	l.grow(threads)
	if l.fwdDirect != nil {
		l.fwdDirect.pack(l.weight.Value.Data)
	}
	l.ctx, l.x, l.y, l.relu = ctx, in[0], out, relu
	ctx.For(in[0].Batch(), l.forwardWorker)
	l.ctx, l.x, l.y, l.relu = nil, nil, nil, false
}

// forwardRange computes samples [lo, hi) on worker w.
func (l *Conv2D) forwardRange(w, lo, hi int) {
	groups := l.cfg.Groups
	outGroup := l.fGroup * l.ohw
	wGroup := l.fGroup * l.k
	bl := l.ctx.SerialBLAS
	for s := lo; s < hi; s++ {
		x := l.x.Data[s*groups*l.inGroup : (s+1)*groups*l.inGroup]
		y := l.y.Data[s*groups*outGroup : (s+1)*groups*outGroup]
		if l.fwdDirect != nil {
			l.fwdDirect.run(x, l.fwdScratch[w], y)
		} else {
			for g := 0; g < groups; g++ {
				col := l.column(w, x[g*l.inGroup:(g+1)*l.inGroup])
				bl.Sgemm(blas.NoTrans, blas.NoTrans, 1,
					blas.Matrix(l.fGroup, l.k, l.weight.Value.Data[g*wGroup:(g+1)*wGroup]),
					blas.Matrix(l.k, l.ohw, col),
					0, blas.Matrix(l.fGroup, l.ohw, y[g*outGroup:(g+1)*outGroup]))
			}
		}
		switch {
		case l.bias != nil && l.relu:
			// One pass for both; the ReLU is reluForward's.
			for f, b := range l.bias.Value.Data {
				row := y[f*l.ohw : (f+1)*l.ohw]
				for i, v := range row {
					row[i] = relu(v + b)
				}
			}
		case l.bias != nil:
			for f, b := range l.bias.Value.Data {
				row := y[f*l.ohw : (f+1)*l.ohw]
				for i := range row {
					row[i] += b
				}
			}
		case l.relu:
			reluForward(y, y)
		}
	}
}

// column returns the column matrix of one group of one sample, built in
// worker w's scratch unless the input already is one.
func (l *Conv2D) column(w int, x []float32) []float32 {
	if l.direct {
		return x
	}
	im2col(&l.geom, x, l.cols[w])
	return l.cols[w]
}

// gradBlockRange returns the samples [lo, hi) of block b of a batch of n
// samples cut into blocks: sizes differ by at most one and spread evenly,
// so that any thread count that divides the blocks gets equal work.
func gradBlockRange(b, blocks, n int) (lo, hi int) {
	return b * n / blocks, (b + 1) * n / blocks
}

// blockLen returns the length of one block's gradient sums: the
// transposed weight gradient, then the bias gradient.
func (l *Conv2D) blockLen() int {
	n := l.weight.Value.Len()
	if l.bias != nil {
		n += l.cfg.Filters
	}
	return n
}

// Backward implements [Layer].
//
// Note [Conv2D backward]. The batch is cut into min(N, gradBlocks) blocks
// that depend on N alone. Each block sums its samples' weight gradients,
// in sample order, into its own buffer, as Kᵀ×F/G per group (col·dyᵀ,
// which OpenBLAS computes faster than dy·colᵀ for these shapes); the
// blocks are spread over the workers; then each gradient element is the
// sum of the blocks' in block order, transposed back into Grad. So any
// thread count gives the same bits. The input gradient of a sample is its
// own: Wᵀ·dy scattered back by col2im, or, for stride-1 convolutions whose
// output is no smaller than their input, im2col of dy times the flipped
// filters (see Setup).
func (l *Conv2D) Backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	l.backward(ctx, in, out, dOut, dIn, false)
}

// BackwardReLU is Backward after ForwardReLU: dOut is the gradient of the
// ReLU's output, out the ReLU's output. Each sample's dOut is masked where
// out is not positive, as [ReLU]'s Backward does, into a copy of the
// worker's own just before the products that read it; dOut is left as it
// is.
func (l *Conv2D) BackwardReLU(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	l.backward(ctx, in, out, dOut, dIn, true)
}

// backward is Backward, behind a ReLU when relu is set.
func (l *Conv2D) backward(ctx *Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor, relu bool) {
	threads := max(ctx.Threads, 1)
	n := in[0].Batch()
	l.grow(threads)
	var dx *tensor.Tensor
	if len(dIn) > 0 {
		dx = dIn[0]
	}
	if dx != nil {
		l.growInputGrad(threads)
	}
	for relu && len(l.masked) < threads {
		l.masked = append(l.masked, make([]float32, l.cfg.Filters*l.ohw))
	}

	l.blocks = min(n, gradBlocks)
	if need := l.blocks * l.blockLen(); len(l.partials) < need {
		l.partials = make([]float32, need)
	}
	if n == 0 {
		clear(l.weight.Grad.Data)
		if l.bias != nil {
			clear(l.bias.Grad.Data)
		}
		return
	}

	l.ctx, l.x, l.y, l.dy, l.dx, l.relu = ctx, in[0], out, dOut, dx, relu
	ctx.For(l.blocks, l.backwardWorker)
	ctx.For(l.cfg.Filters, l.reduceWorker)
	l.ctx, l.x, l.y, l.dy, l.dx, l.relu = nil, nil, nil, nil, nil, false
}

// growInputGrad sizes the scratch of the input gradient for the given
// thread count and, on the full path, flips the filters: flipped holds,
// per group, a (C/G)×(F/G·KernelH·KernelW) matrix whose element
// (c, (f, p, q)) is W[f, c, KernelH-1-p, KernelW-1-q].
func (l *Conv2D) growInputGrad(threads int) {
	size := l.k * l.ohw
	if l.full {
		size = l.fullGeom.colRows() * l.fullGeom.colCols()
	}
	for !l.direct && l.bwdDirect == nil && len(l.dcols) < threads {
		l.dcols = append(l.dcols, make([]float32, size))
	}
	if !l.full {
		return
	}
	for l.bwdDirect != nil && len(l.bwdScratch) < threads {
		l.bwdScratch = append(l.bwdScratch, make([]float32, l.bwdDirect.scratchLen()))
	}
	if len(l.flipped) < l.weight.Value.Len() {
		l.flipped = make([]float32, l.weight.Value.Len())
	}
	kh, kw := l.cfg.KernelH, l.cfg.KernelW
	cg := l.geom.Channels
	w := l.weight.Value.Data
	for f := 0; f < l.cfg.Filters; f++ {
		g, fl := f/l.fGroup, f%l.fGroup
		for c := 0; c < cg; c++ {
			src := w[(f*cg+c)*kh*kw : (f*cg+c+1)*kh*kw]
			dst := l.flipped[((g*cg+c)*l.fGroup+fl)*kh*kw:]
			dst = dst[:kh*kw]
			for i, v := range src {
				dst[kh*kw-1-i] = v
			}
		}
	}
	if l.bwdDirect != nil {
		l.bwdDirect.pack(l.flipped)
	}
}

// blockGrads returns where block b sums its transposed weight gradient and
// its bias gradient.
func (l *Conv2D) blockGrads(b int) (dwt, db []float32) {
	per := l.blockLen()
	p := l.partials[b*per : (b+1)*per]
	n := l.weight.Value.Len()
	return p[:n], p[n:]
}

// backwardBlocks computes blocks [lo, hi) on worker w: each block's
// parameter gradients, and the input gradient of its samples.
func (l *Conv2D) backwardBlocks(w, lo, hi int) {
	groups := l.cfg.Groups
	outGroup := l.fGroup * l.ohw
	wGroup := l.fGroup * l.k
	n := l.x.Batch()
	bl := l.ctx.SerialBLAS
	for b := lo; b < hi; b++ {
		dwt, db := l.blockGrads(b)
		first, last := gradBlockRange(b, l.blocks, n)
		for s := first; s < last; s++ {
			x := l.x.Data[s*groups*l.inGroup : (s+1)*groups*l.inGroup]
			dy := l.dy.Data[s*groups*outGroup : (s+1)*groups*outGroup]
			if l.relu {
				y := l.y.Data[s*groups*outGroup : (s+1)*groups*outGroup]
				reluBackward(y, dy, l.masked[w])
				dy = l.masked[w][:len(dy)]
			}
			var beta float32 = 1
			if s == first {
				beta = 0
			}
			for g := 0; g < groups; g++ {
				xg := x[g*l.inGroup : (g+1)*l.inGroup]
				dyg := dy[g*outGroup : (g+1)*outGroup]
				if l.wgrad != nil {
					l.wgrad.run(xg, dyg, l.wgradScratch[w], beta, dwt[g*wGroup:(g+1)*wGroup])
				} else {
					l.weightGrad(bl, l.column(w, xg), dyg, beta, dwt[g*wGroup:(g+1)*wGroup])
				}
				if l.dx != nil {
					l.inputGrad(w, g, dyg, l.dx.Data[(s*groups+g)*l.inGroup:])
				}
			}
			if db != nil {
				sumRows(db, dy, l.ohw, s == first)
			}
		}
	}
}

// weightGrad sets (beta 0) or adds to (beta 1) the transposed weight
// gradient dwt, K×F/G, the product col·dyᵀ of one group of one sample.
//
// With long rows (minDotLen output positions or more) and filters in
// groups of four, the rows of col that fill whole groups of
// kernel.DotRows take the dot-product kernel, which reads col and dy where
// they lie, where OpenBLAS would pack both again first; OpenBLAS takes the
// rest, and every row of shorter ones, where the kernel's final sum of
// each product's lanes weighs as much as the packing.
// Which rows go where depends on the shapes alone.
func (l *Conv2D) weightGrad(bl blas.Impl, col, dy []float32, beta float32, dwt []float32) {
	k, n, f := l.k, l.ohw, l.fGroup
	rows := 0
	if kernel.Available() && n >= minDotLen && n%8 == 0 && f%4 == 0 {
		rows = k / kernel.DotRows * kernel.DotRows
	}
	if rows > 0 {
		if beta == 0 {
			clear(dwt[:rows*f])
		}
		for r := 0; r < rows; r += kernel.DotRows {
			kernel.Dot(n, col[r*n:], n, dy, n, f, dwt[r*f:], f)
		}
	}
	if rows < k {
		bl.Sgemm(blas.NoTrans, blas.Trans, 1, blas.Matrix(k-rows, n, col[rows*n:]),
			blas.Matrix(f, n, dy), beta, blas.Matrix(k-rows, f, dwt[rows*f:]))
	}
}

// minDotLen is the fewest output positions for which weightGrad uses the
// dot-product kernel. Measured on cifar10-quick's convolutions (go test
// -bench CifarQuickConv ./layer, one thread, CPU time): with 1,024
// positions the kernel's weight gradient makes the layer about 15% faster
// than OpenBLAS's, with 256 about 5%; with 64 (and LeNet's second, 64
// too) the two are level within the noise.
const minDotLen = 256

// inputGrad computes the gradient dx of one group of one sample from its
// output gradient dy, on worker w.
func (l *Conv2D) inputGrad(w, g int, dy, dx []float32) {
	bl := l.ctx.SerialBLAS
	dx = dx[:l.inGroup]
	wg := blas.Matrix(l.fGroup, l.k, l.weight.Value.Data[g*l.fGroup*l.k:(g+1)*l.fGroup*l.k])
	dyg := blas.Matrix(l.fGroup, l.ohw, dy)
	switch {
	case l.direct:
		bl.Sgemm(blas.Trans, blas.NoTrans, 1, wg, dyg, 0, blas.Matrix(l.k, l.ohw, dx))
	case l.bwdDirect != nil:
		l.bwdDirect.run(dy, l.bwdScratch[w], dx)
	case l.full:
		fg := &l.fullGeom
		im2col(fg, dy, l.dcols[w])
		rows := fg.colRows()
		bl.Sgemm(blas.NoTrans, blas.NoTrans, 1,
			blas.Matrix(l.geom.Channels, rows,
				l.flipped[g*l.geom.Channels*rows:(g+1)*l.geom.Channels*rows]),
			blas.Matrix(rows, fg.colCols(), l.dcols[w]),
			0, blas.Matrix(l.geom.Channels, fg.colCols(), dx))
	default:
		bl.Sgemm(blas.Trans, blas.NoTrans, 1, wg, dyg, 0,
			blas.Matrix(l.k, l.ohw, l.dcols[w]))
		col2im(&l.geom, l.dcols[w], dx)
	}
}

// sumRows sets (first) or adds to db[f] the sum of row f of the
// len(db)×n matrix dy. Each row is summed in eight interleaved partial
// sums, combined pairwise: one running sum would wait on every addition
// before the next, and the rows (up to 1024 output positions) make that
// wait a few percent of a convolution's backward pass.
func sumRows(db, dy []float32, n int, first bool) {
	for f := range db {
		sum := rowSum(dy[f*n : (f+1)*n])
		if first {
			db[f] = sum
		} else {
			db[f] += sum
		}
	}
}

// rowSum returns the sum of v: element i goes to partial sum i mod 8, and
// the partial sums are added pairwise, so the result depends on len(v)
// alone, never on timing or threads.
func rowSum(v []float32) float32 {
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(v); i += 8 {
		w := (*[8]float32)(v[i : i+8])
		s0 += w[0]
		s1 += w[1]
		s2 += w[2]
		s3 += w[3]
		s4 += w[4]
		s5 += w[5]
		s6 += w[6]
		s7 += w[7]
	}
	for j, x := range v[i:] {
		switch j {
		case 0:
			s0 += x
		case 1:
			s1 += x
		case 2:
			s2 += x
		case 3:
			s3 += x
		case 4:
			s4 += x
		case 5:
			s5 += x
		default:
			s6 += x
		}
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// reduceRange writes the gradients of filters [lo, hi): each element is
// the sum of the blocks' partial sums, in block order, transposed back to
// the weight's F×(C/G)×KernelH×KernelW layout.
func (l *Conv2D) reduceRange(_, lo, hi int) {
	per := l.blockLen()
	k, fg := l.k, l.fGroup
	p := l.partials[:l.blocks*per]
	for f := lo; f < hi; f++ {
		base := (f/fg)*k*fg + f%fg
		dst := l.weight.Grad.Data[f*k : (f+1)*k]
		for i := range dst {
			j := base + i*fg
			sum := p[j]
			for b := per; b < len(p); b += per {
				sum += p[b+j]
			}
			dst[i] = sum
		}
		if l.bias == nil {
			continue
		}
		j := l.weight.Value.Len() + f
		sum := p[j]
		for b := per; b < len(p); b += per {
			sum += p[b+j]
		}
		l.bias.Grad.Data[f] = sum
	}
}

package layer

// FillKind names a weight initialiser.
type FillKind string

// The initialisers.
const (
	FillConstant FillKind = "constant" // every element Value
	FillGaussian FillKind = "gaussian" // normal with Mean and Std
	FillUniform  FillKind = "uniform"  // uniform in [Min, Max)
	FillXavier   FillKind = "xavier"   // uniform ±sqrt(6/(fanIn+fanOut))
	FillHe       FillKind = "he"       // normal, std sqrt(2/fanIn)
)

// Fill configures an initialiser. Fields that its Kind does not use are
// ignored.
type Fill struct {
	Kind     FillKind
	Value    float32 // constant
	Mean     float32 // gaussian
	Std      float32 // gaussian
	Min, Max float32 // uniform
}

// FullyConnectedConfig configures a fully connected layer: out = x·Wᵀ + b
// with x flattened per sample to K = C*H*W inputs, W of shape Outputs×K and
// b of shape Outputs.
type FullyConnectedConfig struct {
	Outputs    int
	NoBias     bool
	WeightFill Fill // default xavier
	BiasFill   Fill // default constant 0
}

// Conv2DConfig configures a 2-D convolution (cross-correlation, as in every
// framework). The weight has shape Filters × (C/Groups) × KernelH × KernelW.
// Output size: (H + 2*PadH - KernelH)/StrideH + 1, likewise for W.
type Conv2DConfig struct {
	Filters          int
	KernelH, KernelW int
	StrideH, StrideW int // default 1
	PadH, PadW       int
	Groups           int // default 1; must divide C and Filters
	NoBias           bool
	WeightFill       Fill // default xavier
	BiasFill         Fill // default constant 0
}

// PoolMethod says how a pooling window is reduced.
type PoolMethod string

// The pooling methods.
const (
	PoolMax     PoolMethod = "max"
	PoolAverage PoolMethod = "average"
)

// PoolConfig configures max or average pooling over KernelH×KernelW windows.
// Output size uses ceiling division, as Caffe and cuda-convnet do:
// ceil((H + 2*PadH - KernelH)/StrideH) + 1, dropping a last window that
// would start in the padding. An average window that hangs over the edge
// divides by the part of the window inside the padded input.
type PoolConfig struct {
	Method           PoolMethod
	KernelH, KernelW int
	StrideH, StrideW int // default: the kernel size
	PadH, PadW       int
}

// DropoutConfig configures dropout: in training each element is zeroed with
// probability Rate and the rest are scaled by 1/(1-Rate); in evaluation the
// layer is the identity.
type DropoutConfig struct {
	Rate float32
}

// LRNConfig configures local response normalisation across channels:
// out = x / (K + Alpha/Size * sum over Size neighbouring channels of x²)^Beta.
type LRNConfig struct {
	Size        int     // default 5, odd
	Alpha, Beta float32 // default 1e-4 and 0.75
	K           float32 // default 1
}

package layer

import (
	"math"
	"math/rand/v2"
)

// newRNG returns the generator a layer's Init draws its weights from: a PCG
// seeded by the layer's seed alone, so the same seed gives the same weights
// on every machine and in every partition.
func newRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x6d617269616e61)) // "mariana"
}

// withDefault returns f, or def when f is the zero Fill (not set in the
// spec).
func (f Fill) withDefault(def Fill) Fill {
	if f == (Fill{}) {
		return def
	}
	return f
}

// validate checks f; field is the spec's name for it, such as
// "weight_fill".
func (f Fill) validate(layerName, field string) error {
	switch f.Kind {
	case FillConstant, FillXavier, FillHe:
	case FillGaussian:
		if !(f.Std >= 0) || math.IsInf(float64(f.Std), 0) {
			return configErrorf(layerName, "%s: std must be finite and non-negative, got %v",
				field, f.Std)
		}
	case FillUniform:
		if !(f.Min <= f.Max) || math.IsInf(float64(f.Max-f.Min), 0) {
			return configErrorf(layerName, "%s: min %v must not exceed max %v",
				field, f.Min, f.Max)
		}
	default:
		return configErrorf(layerName,
			"%s: unknown type %q (want constant, gaussian, uniform, xavier or he)",
			field, f.Kind)
	}
	return nil
}

// apply fills x from f's distribution. fanIn and fanOut are the weight's
// fans as Caffe counts them: inputs and outputs of one output unit's dot
// product (K and Outputs for a fully connected layer).
func (f Fill) apply(x []float32, fanIn, fanOut int, rng *rand.Rand) {
	switch f.Kind {
	case FillConstant:
		for i := range x {
			x[i] = f.Value
		}
	case FillGaussian:
		gaussian(x, float64(f.Mean), float64(f.Std), rng)
	case FillUniform:
		uniform(x, float64(f.Min), float64(f.Max), rng)
	case FillXavier:
		// Glorot and Bengio's bound keeps the variance of activations
		// and of gradients alike from layer to layer.
		a := math.Sqrt(6 / float64(max(fanIn+fanOut, 1)))
		uniform(x, -a, a, rng)
	case FillHe:
		// He et al.: ReLU halves the variance, so double it at the input.
		gaussian(x, 0, math.Sqrt(2/float64(max(fanIn, 1))), rng)
	}
}

func gaussian(x []float32, mean, std float64, rng *rand.Rand) {
	for i := range x {
		x[i] = float32(mean + std*rng.NormFloat64())
	}
}

func uniform(x []float32, lo, hi float64, rng *rand.Rand) {
	for i := range x {
		x[i] = float32(lo + (hi-lo)*rng.Float64())
	}
}

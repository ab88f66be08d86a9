package data

import (
	"math/rand/v2"

	"github.com/mariana-dl/mariana/tensor"
)

// maxRandomValues bounds the float32 values a [Random] dataset may hold
// (16 GiB), so a typo in a benchmark cannot take the machine's memory.
const maxRandomValues = 1 << 32

// Random is a [Dataset] of samples drawn from the standard normal
// distribution with labels drawn uniformly, for benchmarks and tests that
// need data of a given shape but not real data. It stores float32 values.
type Random struct {
	shape   tensor.Shape
	classes int
	values  []float32 // Len() × shape.Size()
	labels  []int32
}

// NewRandom returns n random samples of the given shape with labels in
// [0, classes). The same seed gives the same samples.
func NewRandom(shape tensor.Shape, classes, n int, seed uint64) (*Random, error) {
	if len(shape) == 0 {
		return nil, configErrorf("random dataset: empty sample shape")
	}
	// Multiply step by step so that a huge shape cannot overflow.
	size := 1
	for _, d := range shape {
		if d <= 0 {
			return nil, configErrorf("random dataset: sample shape %v has a dimension below 1",
				shape)
		}
		if d > maxRandomValues/size {
			return nil, configErrorf("random dataset: sample shape %v exceeds %d values",
				shape, maxRandomValues)
		}
		size *= d
	}
	if classes < 1 {
		return nil, configErrorf("random dataset: %d classes, want at least 1", classes)
	}
	if n < 1 {
		return nil, configErrorf("random dataset: %d samples, want at least 1", n)
	}
	if size > maxRandomValues/n {
		return nil, configErrorf("random dataset: %d samples of shape %v exceed %d values",
			n, shape, maxRandomValues)
	}

	rng := rand.New(rand.NewPCG(seed, 0x6d617269616e61)) // "mariana"
	r := &Random{
		shape:   shape.Clone(),
		classes: classes,
		values:  make([]float32, n*shape.Size()),
		labels:  make([]int32, n),
	}
	for i := range r.values {
		r.values[i] = float32(rng.NormFloat64())
	}
	for i := range r.labels {
		r.labels[i] = int32(rng.IntN(classes))
	}
	return r, nil
}

// Len returns the number of samples.
func (r *Random) Len() int { return len(r.labels) }

// SampleShape returns the shape of one sample. The caller must not modify
// it.
func (r *Random) SampleShape() tensor.Shape { return r.shape }

// Classes returns the number of classes.
func (r *Random) Classes() int { return r.classes }

// Sample copies sample i into dst and returns its label.
func (r *Random) Sample(i int, dst []float32) int {
	n := r.shape.Size()
	copy(dst[:n], r.values[i*n:(i+1)*n])
	return int(r.labels[i])
}

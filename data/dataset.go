package data

import "github.com/mariana-dl/mariana/tensor"

// Dataset is a fixed list of labelled samples held in memory.
//
// Sample must be safe to call from several goroutines at once, because a
// [Loader] may assemble a mini-batch in parallel.
type Dataset interface {
	// Len returns the number of samples.
	Len() int

	// SampleShape returns the shape of one sample, C×H×W for images. The
	// caller must not modify it.
	SampleShape() tensor.Shape

	// Classes returns the number of classes; labels are in [0, Classes()).
	Classes() int

	// Sample writes the normalised values of sample i into dst, which
	// holds at least SampleShape().Size() elements, and returns its label.
	// It panics when i is out of range, like a slice index.
	Sample(i int, dst []float32) (label int)
}

package layer

import (
	"github.com/mariana-dl/mariana/tensor"
)

// DropoutSlice is the part of a [Dropout] that covers a contiguous run of
// each sample's elements, starting at element Offset of the whole sample:
// the column of a dropout layer in a network cut into partitions by
// channels. It draws the masks the whole layer draws for those elements
// (the mask of an element hashes its index in the whole sample), so the
// partitioned network drops exactly what the whole network drops. Init
// takes the whole layer's seed.
type DropoutSlice struct {
	Dropout
}

// NewDropoutSlice returns the slice of a dropout layer configured by cfg
// whose first element is element offset of the whole layer's sample.
func NewDropoutSlice(name string, cfg DropoutConfig, offset int) *DropoutSlice {
	return &DropoutSlice{Dropout: Dropout{name: name, rate: cfg.Rate, first: offset}}
}

// Offset returns the index in the whole sample of the slice's first
// element.
func (l *DropoutSlice) Offset() int { return l.first }

// Setup implements [Layer]: as [Dropout.Setup], and the offset must not be
// negative.
func (l *DropoutSlice) Setup(in []tensor.Shape) (tensor.Shape, error) {
	if l.first < 0 {
		return nil, configErrorf(l.name, "slice offset must not be negative, got %d",
			l.first)
	}
	return l.Dropout.Setup(in)
}

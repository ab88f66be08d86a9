package train

import (
	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// Batches yields the global training mini-batches, in order, from a
// position that a checkpoint saves and a resume restores: the in-memory
// loader ([InMemory]) or the three-stage input pipeline (data/pipeline),
// which deliver the same samples in the same order.
type Batches interface {
	// BatchesPerEpoch returns the number of mini-batches of an epoch.
	BatchesPerEpoch() int

	// Position returns the position of the next mini-batch.
	Position() data.Position

	// Seek makes the mini-batch at pos the next one.
	Seek(pos data.Position) error

	// Next writes the next mini-batch into x and labels, advances, and
	// returns the position of the mini-batch it wrote.
	Next(x, labels *tensor.Tensor) (data.Position, error)
}

// InMemory returns the Batches of a loader over data held in memory,
// which never fails to deliver.
func InMemory(l *data.Loader) Batches { return inMemory{l} }

// inMemory is the Batches of a [data.Loader].
type inMemory struct{ *data.Loader }

// Next implements [Batches].
func (m inMemory) Next(x, labels *tensor.Tensor) (data.Position, error) {
	return m.Loader.Next(x, labels), nil
}

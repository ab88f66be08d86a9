package data

import (
	"math"

	"github.com/mariana-dl/mariana/internal/par"
	"github.com/mariana-dl/mariana/tensor"
)

// LoaderConfig configures a [Loader].
type LoaderConfig struct {
	// BatchSize is the number of samples in a mini-batch. Required.
	BatchSize int

	// Shuffle visits the samples of each epoch in a random order that
	// depends only on Seed and the epoch number. Without it every epoch
	// visits them in dataset order.
	Shuffle bool

	// Seed picks the shuffled orders.
	Seed uint64

	// DropLast leaves out the last mini-batch of an epoch when it would
	// be short, so that every training step sees BatchSize samples and
	// the samples it leaves out change from epoch to epoch when
	// shuffling. Leave it off for evaluation, where every sample counts
	// once and the last mini-batch may be short.
	DropLast bool

	// Threads is the number of goroutines that copy samples into a
	// mini-batch. 0 or 1 uses the calling goroutine only.
	Threads int
}

// Loader cuts a [Dataset] into mini-batches, epoch after epoch. It is not
// safe for concurrent use.
type Loader struct {
	ds        Dataset
	cfg       LoaderConfig
	sample    tensor.Shape // shape of one sample
	sampleLen int
	labelDims tensor.Shape // {1}: one class index per sample
	batches   int          // per epoch
	pos       Position

	perm      []int32 // visiting order of permEpoch; nil without shuffling
	permEpoch int

	// The mini-batch being assembled. fill is bound once, so that Next
	// does not allocate a closure per batch.
	x, labels *tensor.Tensor
	first     int
	fill      func(worker, lo, hi int)
}

// NewLoader returns a loader positioned at the start of epoch 0.
func NewLoader(ds Dataset, cfg LoaderConfig) (*Loader, error) {
	n := ds.Len()
	if cfg.BatchSize < 1 {
		return nil, configErrorf("loader: batch size %d, want at least 1", cfg.BatchSize)
	}
	if cfg.Threads < 0 {
		return nil, configErrorf("loader: %d threads, want 0 or more", cfg.Threads)
	}
	if n < 1 {
		return nil, configErrorf("loader: the dataset is empty")
	}
	if n > math.MaxInt32 {
		return nil, configErrorf("loader: %d samples, at most %d supported", n, math.MaxInt32)
	}

	batches := (n + cfg.BatchSize - 1) / cfg.BatchSize
	if cfg.DropLast {
		batches = n / cfg.BatchSize
	}
	if batches == 0 {
		return nil, configErrorf("loader: %d samples make no full batch of %d (drop last is on)",
			n, cfg.BatchSize)
	}

	l := &Loader{
		ds:        ds,
		cfg:       cfg,
		sample:    ds.SampleShape().Clone(),
		sampleLen: ds.SampleShape().Size(),
		labelDims: tensor.Shape{1},
		batches:   batches,
		permEpoch: -1,
	}
	if cfg.Shuffle {
		l.perm = make([]int32, n)
	}
	l.fill = l.fillRange
	return l, nil
}

// Dataset returns the dataset the loader reads.
func (l *Loader) Dataset() Dataset { return l.ds }

// BatchesPerEpoch returns the number of mini-batches in one epoch.
func (l *Loader) BatchesPerEpoch() int { return l.batches }

// Position returns the position of the next mini-batch.
func (l *Loader) Position() Position { return l.pos }

// Seek makes p the position of the next mini-batch, such as one saved in
// a checkpoint: from there the loader delivers the same mini-batches as a
// loader that got to p by itself.
func (l *Loader) Seek(p Position) error {
	if p.Epoch < 0 || p.Batch < 0 || p.Batch >= l.batches {
		return configErrorf("loader: position %v outside an epoch of %d batches",
			p, l.batches)
	}
	l.pos = p
	return nil
}

// Next writes the mini-batch at the current position into x (N×C×H×W)
// and labels (N×1, the class index as a float32), resizing them with
// [tensor.Tensor.Resize] so their memory is reused, and advances. It
// returns the position of the mini-batch it wrote. N is the batch size,
// or less for the last mini-batch of an epoch without DropLast.
func (l *Loader) Next(x, labels *tensor.Tensor) Position {
	pos := l.pos
	if l.perm != nil && l.permEpoch != pos.Epoch {
		permute(l.perm, l.cfg.Seed, pos.Epoch)
		l.permEpoch = pos.Epoch
	}

	first := pos.Batch * l.cfg.BatchSize
	n := min(l.cfg.BatchSize, l.ds.Len()-first)
	x.Resize(l.sample, n)
	labels.Resize(l.labelDims, n)
	l.x, l.labels, l.first = x, labels, first
	par.For(l.cfg.Threads, n, l.fill)
	l.x, l.labels = nil, nil

	l.pos.Batch++
	if l.pos.Batch == l.batches {
		l.pos = Position{Epoch: pos.Epoch + 1}
	}
	return pos
}

// fillRange copies samples [lo, hi) of the mini-batch being assembled.
func (l *Loader) fillRange(_, lo, hi int) {
	for i := lo; i < hi; i++ {
		index := l.first + i
		if l.perm != nil {
			index = int(l.perm[index])
		}
		dst := l.x.Data[i*l.sampleLen : (i+1)*l.sampleLen]
		l.labels.Data[i] = float32(l.ds.Sample(index, dst))
	}
}

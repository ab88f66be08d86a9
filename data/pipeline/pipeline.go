package pipeline

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// Pipeline delivers the mini-batches of a [Source], read and preprocessed
// ahead of the consumer by goroutines of its own. Its methods are for one
// consumer goroutine, except [Pipeline.Counters], which anyone may call at
// any time.
type Pipeline struct {
	src     Source
	cfg     Config
	geom    geometry
	prep    *preprocessor
	sample  tensor.Shape // of one output sample, C×ch×cw
	outLen  int          // values in sample
	imgLen  int          // bytes of one source image
	recLen  int          // bytes of one source record
	batches int          // per epoch

	pos    data.Position // of the next batch Next delivers
	err    error         // sticky error from a stage, until Seek
	closed bool

	// Buffers go round these fixed sets and are never freed.
	raws []*rawBatch
	outs []*outBatch
	perm []int32 // the read stage's visiting order; nil without shuffling

	cur  atomic.Pointer[run] // the running stages; nil when stopped
	wg   sync.WaitGroup
	last time.Time // when Next last returned; zero after a (re)start

	stats [stageCount]stageStats
}

// rawBatch is a mini-batch as read from the files.
type rawBatch struct {
	pos     data.Position
	n       int
	indices []int32  // sample index of each slot
	rec     []byte   // the records, RecordSize bytes per slot
	pix     [][]byte // each slot's image, inside rec
	labels  []int32
	err     error // the read failed; nothing else is valid
}

// outBatch is a preprocessed mini-batch.
type outBatch struct {
	pos    data.Position
	n      int
	x      []float32
	labels []float32
	err    error
}

// New returns a pipeline over src positioned at the start of epoch 0. Its
// stages start at the first call to Next. Close it when done; it does not
// close src.
func New(src Source, cfg Config) (*Pipeline, error) {
	g, err := cfg.check(src.ImageShape())
	if err != nil {
		return nil, err
	}
	n := src.Len()
	if n < 1 {
		return nil, configErrorf("the source is empty")
	}
	if n > math.MaxInt32 {
		return nil, configErrorf("%d samples, at most %d supported", n, math.MaxInt32)
	}
	if src.RecordSize() < 1 {
		return nil, configErrorf("the source's records are %d bytes", src.RecordSize())
	}
	batches := (n + cfg.BatchSize - 1) / cfg.BatchSize
	if cfg.DropLast {
		batches = n / cfg.BatchSize
	}
	if batches == 0 {
		return nil, configErrorf("%d samples make no full batch of %d (drop last is on)",
			n, cfg.BatchSize)
	}
	if cfg.Depth == 0 {
		cfg.Depth = defaultDepth
	}
	cfg.Threads = max(cfg.Threads, 1)

	p := &Pipeline{
		src: src, cfg: cfg, geom: g, prep: newPreprocessor(g, cfg),
		sample: g.output(), outLen: g.output().Size(), imgLen: src.ImageShape().Size(),
		recLen: src.RecordSize(), batches: batches,
	}
	if cfg.Shuffle {
		p.perm = make([]int32, n)
	}
	p.allocate()
	return p, nil
}

// allocate makes the buffers. With queues of depth D the read stage can be
// D+2 batches ahead of the preprocess stage (D queued, one being read, one
// being preprocessed) and the preprocess stage D+1 ahead of the consumer.
func (p *Pipeline) allocate() {
	bs := p.cfg.BatchSize
	p.raws = make([]*rawBatch, p.cfg.Depth+2)
	for i := range p.raws {
		p.raws[i] = &rawBatch{
			indices: make([]int32, bs),
			rec:     make([]byte, bs*p.recLen),
			pix:     make([][]byte, bs),
			labels:  make([]int32, bs),
		}
	}
	p.outs = make([]*outBatch, p.cfg.Depth+1)
	for i := range p.outs {
		p.outs[i] = &outBatch{x: make([]float32, bs*p.outLen), labels: make([]float32, bs)}
	}
}

// BatchesPerEpoch returns the number of mini-batches in one epoch.
func (p *Pipeline) BatchesPerEpoch() int { return p.batches }

// SampleShape returns the shape of one preprocessed sample, C×crop×crop.
// The caller must not modify it.
func (p *Pipeline) SampleShape() tensor.Shape { return p.sample }

// Position returns the position of the next mini-batch Next delivers.
func (p *Pipeline) Position() data.Position { return p.pos }

// Seek makes pos the position of the next mini-batch, such as one saved in
// a checkpoint: from there the pipeline delivers the same mini-batches as
// one that got to pos by itself. It stops the stages, drops what they read
// ahead and clears an earlier error; they start again at the next Next.
func (p *Pipeline) Seek(pos data.Position) error {
	if p.closed {
		return ErrClosed
	}
	if pos.Epoch < 0 || pos.Batch < 0 || pos.Batch >= p.batches {
		return configErrorf("position %v outside an epoch of %d batches", pos, p.batches)
	}
	p.stop()
	p.pos, p.err = pos, nil
	return nil
}

// Next writes the mini-batch at the current position into x (N×C×H×W)
// and labels (N×1, the class index as a float32), resizing them with
// [tensor.Tensor.Resize] so their memory is reused, and advances. It
// returns the position of the mini-batch it wrote. N is the batch size, or
// less for the last mini-batch of an epoch without DropLast.
//
// An error of a stage (a file that was truncated after it was opened, a
// corrupt label) is returned here, wrapped with the position of its batch;
// Next then keeps returning it until Seek.
func (p *Pipeline) Next(x, labels *tensor.Tensor) (data.Position, error) {
	if p.closed {
		return p.pos, ErrClosed
	}
	if p.err != nil {
		return p.pos, p.err
	}

	train := &p.stats[stageTrain]
	clk := clock{last: time.Now()}
	if !p.last.IsZero() {
		train.busy.Add(int64(clk.last.Sub(p.last)))
	}
	r := p.cur.Load()
	if r == nil {
		r = p.start()
	}

	b := <-r.outFull
	clk.lap(&train.waitIn)
	if b.err == nil && b.pos != p.pos {
		b.err = fmt.Errorf("pipeline: internal error: batch %v delivered at %v", b.pos, p.pos)
	}
	if b.err != nil {
		p.err = b.err
		r.outFree <- b
		p.stop()
		return p.pos, p.err
	}

	x.Resize(p.sample, b.n)
	copy(x.Data, b.x[:b.n*p.outLen])
	labels.Resize(tensor.Shape{1}, b.n)
	copy(labels.Data, b.labels[:b.n])
	train.batches.Add(1)
	train.bytes.Add(int64(b.n*(p.outLen+1)) * 4)
	r.outFree <- b

	pos := p.pos
	p.pos = p.advance(pos)
	p.last = time.Now()
	return pos, nil
}

// Counters returns the counters of every stage. It is safe to call from
// any goroutine at any time.
func (p *Pipeline) Counters() Counters {
	var rawQueued, outQueued int
	if r := p.cur.Load(); r != nil {
		rawQueued, outQueued = len(r.rawFull), len(r.outFull)
	}
	return Counters{
		Read:       p.stats[stageRead].snapshot(stageNames[stageRead], rawQueued),
		Preprocess: p.stats[stagePreprocess].snapshot(stageNames[stagePreprocess], outQueued),
		Train:      p.stats[stageTrain].snapshot(stageNames[stageTrain], 0),
	}
}

// Close stops the stages and waits for their goroutines to end. Later
// calls to Next and Seek return ErrClosed; Close itself may be called
// again.
func (p *Pipeline) Close() error {
	p.stop()
	p.closed = true
	return nil
}

// advance returns the position after pos.
func (p *Pipeline) advance(pos data.Position) data.Position {
	pos.Batch++
	if pos.Batch == p.batches {
		return data.Position{Epoch: pos.Epoch + 1}
	}
	return pos
}

package pipeline

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// TestMatchesLoader reads the same CIFAR-10 files with a data.Loader and
// with the pipeline (no crop, no mirror, scaling to [0, 1] as the loader's
// default normalisation does) and wants the same batches: same positions,
// same labels, same values, for two epochs and over the file boundaries.
func TestMatchesLoader(t *testing.T) {
	paths := cifarFiles(t, 1, 70, 45, 90)
	set, err := data.ReadCIFAR10(paths...)
	if err != nil {
		t.Fatal(err)
	}
	src := openCIFAR(t, paths...)

	for _, tc := range []struct {
		name     string
		shuffle  bool
		dropLast bool
		batch    int
		threads  int
	}{
		{"shuffled", true, false, 32, 1},
		{"shuffled drop last", true, true, 32, 3},
		{"in order", false, false, 50, 2},
		{"batch of one", true, true, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loader, err := data.NewLoader(set, data.LoaderConfig{BatchSize: tc.batch,
				Shuffle: tc.shuffle, Seed: 42, DropLast: tc.dropLast})
			if err != nil {
				t.Fatal(err)
			}
			p := newPipeline(t, src, Config{BatchSize: tc.batch, Shuffle: tc.shuffle,
				Seed: 42, DropLast: tc.dropLast, Threads: tc.threads,
				Scale: []float32{1.0 / 255}})
			if p.BatchesPerEpoch() != loader.BatchesPerEpoch() {
				t.Fatalf("%d batches per epoch, the loader has %d", p.BatchesPerEpoch(),
					loader.BatchesPerEpoch())
			}

			var x, y, lx, ly tensor.Tensor
			for b := range 2 * p.BatchesPerEpoch() {
				pos, err := p.Next(&x, &y)
				if err != nil {
					t.Fatal(err)
				}
				lpos := loader.Next(&lx, &ly)
				if pos != lpos || p.Position() != loader.Position() {
					t.Fatalf("batch %d at %v then %v, the loader's at %v then %v", b, pos,
						p.Position(), lpos, loader.Position())
				}
				if !x.Shape.Equal(lx.Shape) || !y.Shape.Equal(ly.Shape) {
					t.Fatalf("%v: shapes %v %v, the loader's %v %v", pos, x.Shape, y.Shape,
						lx.Shape, ly.Shape)
				}
				if !slices.Equal(y.Data, ly.Data) {
					t.Fatalf("%v: labels %v, the loader's %v", pos, y.Data, ly.Data)
				}
				for i, v := range lx.Data {
					if math.Abs(float64(x.Data[i]-v)) > 1e-6 {
						t.Fatalf("%v: x[%d] = %v, the loader's %v", pos, i, x.Data[i], v)
					}
				}
			}
		})
	}
}

// TestEverySampleOncePerEpoch decodes the sample indices of three epochs
// and wants each epoch to hold every sample exactly once, in the order of
// data.Permute for its epoch.
func TestEverySampleOncePerEpoch(t *testing.T) {
	const n, bs = 257, 20
	src := openCIFAR(t, cifarFiles(t, 2, 100, 157)...)
	p := newPipeline(t, src, Config{BatchSize: bs, Shuffle: true, Seed: 9, Threads: 2})

	perm := make([]int32, n)
	var x, y tensor.Tensor
	for epoch := range 3 {
		data.Permute(perm, 9, epoch)
		var seen []int32
		for range p.BatchesPerEpoch() {
			pos, err := p.Next(&x, &y)
			if err != nil {
				t.Fatal(err)
			}
			if pos.Epoch != epoch {
				t.Fatalf("batch of epoch %d at %v", epoch, pos)
			}
			for i := range x.Batch() {
				seen = append(seen, int32(sampleIndex(&x, i)))
			}
		}
		if !slices.Equal(seen, perm) {
			t.Fatalf("epoch %d visits %v, want %v", epoch, seen, perm)
		}
		sorted := slices.Sorted(slices.Values(seen))
		for i, v := range sorted {
			if int(v) != i {
				t.Fatalf("epoch %d: sample %d missing or repeated", epoch, i)
			}
		}
	}
}

// TestReproducible wants the same batches from two pipelines with the same
// configuration whatever their thread counts, and other crops from another
// seed.
func TestReproducible(t *testing.T) {
	src := openCIFAR(t, cifarFiles(t, 3, 130)...)
	cfg := Config{BatchSize: 16, Shuffle: true, Seed: 5, Train: true, Crop: 28, Pad: 2,
		Mirror: true, Mean: []float32{120, 110, 100}, Scale: []float32{0.02}}

	var want []batch
	for _, threads := range []int{1, 2, 3, 7} {
		cfg.Threads = threads
		got := take(t, newPipeline(t, src, cfg), 20)
		if want == nil {
			want = got
			continue
		}
		sameBatches(t, got, want)
	}

	cfg.Seed = 6
	other := take(t, newPipeline(t, src, cfg), 1)
	if slices.Equal(other[0].x.Data, want[0].x.Data) {
		t.Error("seeds 5 and 6 give the same first batch")
	}
}

// TestResume wants a pipeline that seeks to a position, fresh or while
// running, to deliver what an uninterrupted one delivers from there.
func TestResume(t *testing.T) {
	src := openCIFAR(t, cifarFiles(t, 4, 90)...)
	cfg := Config{BatchSize: 12, Shuffle: true, Seed: 11, DropLast: true, Train: true,
		Crop: 30, Pad: 1, Mirror: true, Threads: 2}
	whole := take(t, newPipeline(t, src, cfg), 20) // 7 batches per epoch

	for _, start := range []int{0, 3, 7, 13} {
		p := newPipeline(t, src, cfg)
		if err := p.Seek(whole[start].pos); err != nil {
			t.Fatal(err)
		}
		if p.Position() != whole[start].pos {
			t.Fatalf("at %v after seeking to %v", p.Position(), whole[start].pos)
		}
		sameBatches(t, take(t, p, 20-start), whole[start:])
	}

	// Seeking back while the stages have read ahead drops what they read.
	p := newPipeline(t, src, cfg)
	take(t, p, 5)
	if err := p.Seek(whole[2].pos); err != nil {
		t.Fatal(err)
	}
	sameBatches(t, take(t, p, 18), whole[2:])

	if err := p.Seek(data.Position{Epoch: 0, Batch: 7}); !errors.Is(err, ErrConfig) {
		t.Errorf("seek past the epoch's 7 batches: %v, want ErrConfig", err)
	}
}

// TestEvalMode wants, with Train off, the centred crop of every sample and
// nothing mirrored; with a crop the size of the image and padding that is
// the image itself.
func TestEvalMode(t *testing.T) {
	paths := cifarFiles(t, 5, 40)
	src := openCIFAR(t, paths...)
	set, err := data.ReadCIFAR10(paths...)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{BatchSize: 40, Shuffle: true, Seed: 3, Train: true, Crop: 32, Pad: 4,
		Mirror: true}
	p := newPipeline(t, src, cfg.Eval())
	b := take(t, p, 1)[0]
	for i := range 40 {
		pix := set.Pixels(i)
		for j, v := range b.x.Data[i*data.CIFAR10Image : (i+1)*data.CIFAR10Image] {
			if v != float32(pix[j]) {
				t.Fatalf("sample %d value %d = %v, want the image's %d", i, j, v, pix[j])
			}
		}
	}
}

// TestCloseLeavesNoGoroutines closes pipelines in every state, with the
// stages blocked on full queues, mid-epoch and after an error, and wants
// every goroutine gone.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	src := openCIFAR(t, cifarFiles(t, 6, 300)...)
	before := runtime.NumGoroutine()

	for _, threads := range []int{1, 4} {
		p, err := New(src, Config{BatchSize: 10, Shuffle: true, Threads: threads, Train: true,
			Crop: 24})
		if err != nil {
			t.Fatal(err)
		}
		take(t, p, 3)
		// Let the stages run ahead until they block on full queues.
		for p.Counters().Read.Batches < 3+2*int64(p.cfg.Depth)+2 {
			time.Sleep(time.Millisecond)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		settleGoroutines(t, before)

		var x, y tensor.Tensor
		if _, err := p.Next(&x, &y); !errors.Is(err, ErrClosed) {
			t.Errorf("Next after Close: %v, want ErrClosed", err)
		}
		if err := p.Seek(data.Position{}); !errors.Is(err, ErrClosed) {
			t.Errorf("Seek after Close: %v, want ErrClosed", err)
		}
		if err := p.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}

	// Closing a pipeline that never started, and one seeked while running.
	p := newPipeline(t, src, Config{BatchSize: 7, Threads: 3})
	p.Close()
	p = newPipeline(t, src, Config{BatchSize: 7, Threads: 3})
	take(t, p, 2)
	if err := p.Seek(data.Position{Epoch: 4}); err != nil {
		t.Fatal(err)
	}
	take(t, p, 2)
	p.Close()
	settleGoroutines(t, before)
}

// boundSource wraps a source and records, at every read, how many batches
// the read stage has finished beyond those the consumer took.
type boundSource struct {
	Source
	p        atomic.Pointer[Pipeline]
	maxAhead atomic.Int64
}

func (s *boundSource) ReadRecords(first, count int, dst []byte) error {
	if p := s.p.Load(); p != nil {
		// The batch being read counts too. The consumer's count goes up
		// before it hands its buffer back, so it is never behind.
		c := p.Counters()
		ahead := c.Read.Batches + 1 - c.Train.Batches
		for {
			m := s.maxAhead.Load()
			if ahead <= m || s.maxAhead.CompareAndSwap(m, ahead) {
				break
			}
		}
	}
	return s.Source.ReadRecords(first, count, dst)
}

// TestQueueBounds consumes slowly and wants the read stage never more than
// 2×depth+3 batches ahead of what the consumer finished (depth in each
// queue, one being read, one preprocessed and waiting for room, one being
// copied out by the consumer), the queues never over depth, and the
// stages' waiting on a full queue counted.
func TestQueueBounds(t *testing.T) {
	for _, depth := range []int{1, 2, 4} {
		src := &boundSource{Source: openCIFAR(t, cifarFiles(t, 7, 200)...)}
		p := newPipeline(t, src, Config{BatchSize: 10, Shuffle: true, Depth: depth})
		src.p.Store(p)

		var x, y tensor.Tensor
		maxQueued := 0
		for range 15 {
			time.Sleep(2 * time.Millisecond)
			c := p.Counters()
			maxQueued = max(maxQueued, c.Read.Queued, c.Preprocess.Queued)
			if _, err := p.Next(&x, &y); err != nil {
				t.Fatal(err)
			}
		}

		bound := int64(2*depth + 3)
		if got := src.maxAhead.Load(); got > bound || got < 2 {
			t.Errorf("depth %d: the read stage got %d batches ahead, want 2 to %d",
				depth, got, bound)
		}
		if maxQueued > depth {
			t.Errorf("depth %d: %d batches queued", depth, maxQueued)
		}
		if c := p.Counters(); c.Read.WaitOutput == 0 || c.Preprocess.WaitOutput == 0 {
			t.Errorf("depth %d: a slow consumer blocked nobody:\n%v", depth, c)
		}
	}
}

// TestSteadyStateAllocatesNothing counts allocations in every goroutine of
// the pipeline while the consumer takes batches within an epoch.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	src := openCIFAR(t, cifarFiles(t, 8, 2000)...)
	p := newPipeline(t, src, Config{BatchSize: 10, Shuffle: true, Train: true, Crop: 28,
		Pad: 2, Mirror: true, Threads: 3})
	var x, y tensor.Tensor
	take(t, p, 10)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := p.Next(&x, &y); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per batch, want 0", allocs)
	}
}

// TestCounters checks the counts after an epoch and the table.
func TestCounters(t *testing.T) {
	src := openCIFAR(t, cifarFiles(t, 9, 100)...)
	p := newPipeline(t, src, Config{BatchSize: 25, Crop: 30})
	take(t, p, 4)
	c := p.Counters()
	if c.Train.Batches != 4 || c.Read.Batches < 4 || c.Preprocess.Batches < 4 {
		t.Fatalf("batches read %d, preprocessed %d, trained %d; want at least 4, 4 and 4",
			c.Read.Batches, c.Preprocess.Batches, c.Train.Batches)
	}
	if want := 4 * 25 * int64(30*30*3+1) * 4; c.Train.Bytes != want {
		t.Errorf("train bytes %d, want %d", c.Train.Bytes, want)
	}
	if c.Read.Bytes != c.Read.Batches*25*data.CIFAR10Record {
		t.Errorf("read %d bytes in %d batches", c.Read.Bytes, c.Read.Batches)
	}
	if c.Read.Busy <= 0 || c.Preprocess.Busy <= 0 {
		t.Errorf("busy times %v and %v", c.Read.Busy, c.Preprocess.Busy)
	}
	table := c.String()
	for _, want := range []string{"read", "preprocess", "train", "busy", "wait-in",
		"wait-out", "bottleneck: "} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}

	slow := Counters{
		Read:       StageCounters{Name: "read", Busy: 9, WaitOutput: 1},
		Preprocess: StageCounters{Name: "preprocess", Busy: 1, WaitInput: 9},
		Train:      StageCounters{Name: "train", Busy: 5, WaitInput: 5},
	}
	if got := slow.Bottleneck(); got != "read" {
		t.Errorf("bottleneck %q, want read", got)
	}
}

func TestConfigErrors(t *testing.T) {
	src := openCIFAR(t, cifarFiles(t, 10, 20)...)
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "batch size 0"},
		{Config{BatchSize: 1, Threads: -1}, "-1 threads"},
		{Config{BatchSize: 1, Depth: -2}, "queue depth -2"},
		{Config{BatchSize: 1, Pad: -1}, "pad -1"},
		{Config{BatchSize: 1, Crop: 33}, "crop 33×33 larger than the padded image 32×32"},
		{Config{BatchSize: 1, Crop: 36, Pad: 1}, "larger than the padded image 34×34"},
		{Config{BatchSize: 1, Mean: []float32{1, 2}}, "mean has 2 values for 3 channels"},
		{Config{BatchSize: 1, Scale: []float32{float32(math.NaN())}}, "scale[0] is NaN"},
		{Config{BatchSize: 1, MeanImage: make([]float32, 5)}, "mean image of 5 values"},
		{Config{BatchSize: 1, Mean: []float32{1}, MeanImage: make([]float32, data.CIFAR10Image)},
			"both mean and a mean image"},
		{Config{BatchSize: 21, DropLast: true}, "20 samples make no full batch of 21"},
	} {
		_, err := New(src, tc.cfg)
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) ||
			!strings.HasPrefix(err.Error(), "pipeline: ") {
			t.Errorf("%+v: %v, want ErrConfig with %q", tc.cfg, err, tc.want)
		}
	}
}

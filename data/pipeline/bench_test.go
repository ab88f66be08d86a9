package pipeline

import (
	"testing"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// cifarQuickConfig is the preprocessing of the cifar10-quick benchmark.
func cifarQuickConfig(threads int) Config {
	return Config{BatchSize: 100, Shuffle: true, Seed: 1, DropLast: true, Train: true,
		Crop: 32, Pad: 4, Mirror: true, Mean: []float32{125.3, 123.0, 113.9},
		Threads: threads}
}

// BenchmarkRead times the read stage's work for one shuffled batch of 100
// CIFAR-10 records (from the page cache).
func BenchmarkRead(b *testing.B) {
	src := openCIFAR(b, cifarFiles(b, 1, 5000)...)
	p := newPipeline(b, src, cifarQuickConfig(1))
	raw := p.raws[0]
	data.Permute(p.perm, 1, 0)
	b.SetBytes(100 * data.CIFAR10Record)
	for i := 0; b.Loop(); i++ {
		if err := p.fill(raw, data.Position{Batch: i % p.batches}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPreprocess times the preprocess stage's work for one batch of
// 100 CIFAR-10 images on one goroutine.
func BenchmarkPreprocess(b *testing.B) {
	src := openCIFAR(b, cifarFiles(b, 1, 1000)...)
	p := newPipeline(b, src, cifarQuickConfig(1))
	raw, out := p.raws[0], p.outs[0]
	data.Permute(p.perm, 1, 0)
	if err := p.fill(raw, data.Position{}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(100 * data.CIFAR10Image * 4)
	for b.Loop() {
		p.preprocessRange(raw, out, 0, raw.n)
	}
}

// BenchmarkNext times batches through the whole pipeline with a consumer
// that does nothing else: the throughput the pipeline can feed.
func BenchmarkNext(b *testing.B) {
	src := openCIFAR(b, cifarFiles(b, 1, 5000)...)
	p := newPipeline(b, src, cifarQuickConfig(1))
	var x, y tensor.Tensor
	b.SetBytes(100 * data.CIFAR10Image * 4)
	for b.Loop() {
		if _, err := p.Next(&x, &y); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(p.Counters().Preprocess.Busy.Nanoseconds())/
		float64(p.Counters().Preprocess.Batches), "preprocess-ns/batch")
}

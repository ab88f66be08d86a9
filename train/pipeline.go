package train

import (
	"io"
	"os"
	"path/filepath"

	"github.com/mariana-dl/mariana/data/pipeline"
	"github.com/mariana-dl/mariana/spec"
)

// openPipeline opens the training files a spec names and the input
// pipeline over them, with the spec's batching, normalisation and
// augmentation: it delivers the batches the in-memory loader would, but
// read from disk a batch at a time, and cropped and mirrored at random.
func openPipeline(s *spec.Spec) (io.Closer, *pipeline.Pipeline, error) {
	dir, err := dataDir(s)
	if err != nil {
		return nil, nil, err
	}
	cache, err := cacheDir()
	if err != nil {
		return nil, nil, err
	}

	var src interface {
		pipeline.Source
		io.Closer
	}
	switch s.Data.Format {
	case spec.MNIST:
		tr, te, err := pipeline.OpenMNISTDir(dir, cache)
		if err != nil {
			return nil, nil, s.FieldError("data.dir", err)
		}
		te.Close()
		src = tr
	case spec.CIFAR10:
		tr, te, err := pipeline.OpenCIFAR10Dir(dir, cache)
		if err != nil {
			return nil, nil, s.FieldError("data.dir", err)
		}
		te.Close()
		src = tr
	default:
		return nil, nil, s.FieldError("data.pipeline", errNoFiles)
	}

	p, err := pipeline.New(src, pipelineConfig(s))
	if err != nil {
		src.Close()
		return nil, nil, s.FieldError("data.augment", err)
	}
	return src, p, nil
}

// pipelineConfig turns the spec's (b·Scale − Mean[c]) / Std[c] over raw
// bytes b into the pipeline's (b − Mean'[c]) · Scale'[c], the same map,
// and takes its batching and augmentation.
func pipelineConfig(s *spec.Spec) pipeline.Config {
	d := s.Data
	n := d.Normalize
	mean := make([]float32, len(n.Mean))
	for c, m := range n.Mean {
		mean[c] = m / n.Scale
	}
	scale := make([]float32, len(n.Std))
	for c, sd := range n.Std {
		scale[c] = n.Scale / sd
	}
	return pipeline.Config{
		BatchSize: s.Train.Batch, Shuffle: d.Shuffle, Seed: s.Seed, DropLast: true,
		Train: true, Crop: d.Augment.Crop, Pad: d.Augment.Pad, Mirror: d.Augment.Mirror,
		Mean: mean, Scale: scale, Threads: d.Pipeline.Threads, Depth: d.Pipeline.Depth,
	}
}

// cacheDir is where compressed data files are decompressed for the
// pipeline, which reads records at random offsets: the user's cache
// folder, or the temporary one.
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "mariana", "data"), nil
}

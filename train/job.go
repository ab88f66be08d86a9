package train

import (
	"fmt"
	"io"
	"runtime"

	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/data/pipeline"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/spec"
)

// Job is everything a spec describes, built and ready to train on one
// device: the data, the network with its parameters filled, the solver
// and the compute context.
type Job struct {
	Spec    *spec.Spec
	Train   data.Dataset
	Test    data.Dataset // nil when the spec has no test set
	Graph   *model.Graph
	Net     *model.Net
	Solver  *optim.Solver
	Loader  *data.Loader
	Context layer.Context

	// Pipeline reads the training set from disk, preprocesses and
	// augments it, when the spec asks for it (data.pipeline or
	// data.augment); else nil, and Loader holds the data in memory. Close
	// stops it.
	Pipeline *pipeline.Pipeline
	source   io.Closer // the pipeline's files
}

// Options adjusts how a spec is built.
type Options struct {
	// Threads overrides the spec's train.threads when positive.
	Threads int

	// Data, when set, replaces the spec's data sets (benchmarks use random
	// data of the right shape).
	Data func(s *spec.Spec) (trainSet, testSet data.Dataset, err error)

	// InMemory keeps the training data in memory even where the spec asks
	// for the input pipeline, for a job that trains nothing (evaluation).
	InMemory bool
}

// Build loads the data a spec names, builds its network and solver, and
// fills the weights from the spec's seed. Errors name the spec file and
// the field or layer at fault.
func Build(s *spec.Spec, opts Options) (*Job, error) {
	threads := s.Train.Threads
	if opts.Threads > 0 {
		threads = opts.Threads
	}
	if threads <= 0 {
		threads = runtime.NumCPU()
	}

	load := LoadData
	if opts.Data != nil {
		load = opts.Data
	}
	trainSet, testSet, err := load(s)
	if err != nil {
		return nil, err
	}
	if got, want := trainSet.SampleShape().Size(), s.Model.Input.Size(); got != want {
		return nil, s.FieldError("model.input", fmt.Errorf(
			"train: input %v holds %d values, but the data's samples %v hold %d",
			s.Model.Input, want, trainSet.SampleShape(), got))
	}

	g, err := model.FromSpec(s)
	if err != nil {
		return nil, err
	}
	if err := checkClasses(s, g, trainSet.Classes()); err != nil {
		return nil, err
	}
	g.Init(s.Seed)

	cfg := s.Solver
	cfg.Threads = threads
	solver, err := optim.New(cfg)
	if err != nil {
		return nil, s.FieldError("solver", err)
	}

	loader, err := data.NewLoader(trainSet, data.LoaderConfig{
		BatchSize: s.Train.Batch, Shuffle: s.Data.Shuffle, Seed: s.Seed,
		DropLast: true, Threads: threads,
	})
	if err != nil {
		return nil, s.FieldError("train.batch", err)
	}

	job := &Job{
		Spec: s, Train: trainSet, Test: testSet, Graph: g, Net: model.NewNet(g),
		Solver: solver, Loader: loader,
		Context: layer.Context{
			BLAS: auto.New(threads), SerialBLAS: auto.New(1), Threads: threads,
		},
	}
	// TODO: with the pipeline the training set is still read into memory
	// above, for its shape and classes, which the pipeline's source could
	// give without holding the samples; and the test set is evaluated from
	// memory, centre-cropped there, not through a pipeline of its own.
	if s.Data.Pipeline.Enabled && opts.Data == nil && !opts.InMemory {
		if job.source, job.Pipeline, err = openPipeline(s); err != nil {
			return nil, err
		}
		if job.Pipeline.BatchesPerEpoch() != loader.BatchesPerEpoch() {
			job.Close()
			return nil, fmt.Errorf("train: the input pipeline has %d batches per epoch, "+
				"the data set %d", job.Pipeline.BatchesPerEpoch(), loader.BatchesPerEpoch())
		}
	}
	return job, nil
}

// Batches returns what the job trains from: its input pipeline when it has
// one, else its in-memory loader.
func (j *Job) Batches() Batches {
	if j.Pipeline != nil {
		return j.Pipeline
	}
	return InMemory(j.Loader)
}

// Close stops the job's input pipeline and closes its files, if it has
// them.
func (j *Job) Close() error {
	if j.Pipeline == nil {
		return nil
	}
	err := j.Pipeline.Close()
	if cerr := j.source.Close(); err == nil {
		err = cerr
	}
	j.Pipeline = nil
	return err
}

// Steps returns the number of steps the spec's training takes.
func (j *Job) Steps() int64 {
	if j.Spec.Train.Iterations > 0 {
		return j.Spec.Train.Iterations
	}
	return int64(j.Spec.Train.Epochs) * int64(j.Loader.BatchesPerEpoch())
}

// Config returns the training-loop configuration the spec describes, with
// per-epoch intervals turned into steps.
func (j *Job) Config() Config {
	t := j.Spec.Train
	epoch := int64(j.Loader.BatchesPerEpoch())
	or := func(v, def int64) int64 {
		if v > 0 {
			return v
		}
		return def
	}
	return Config{
		Steps:           j.Steps(),
		EvalEvery:       or(t.EvalEverySteps, epoch),
		DisplayEvery:    or(t.DisplayEverySteps, epoch),
		CheckpointEvery: or(t.CheckpointEverySteps, epoch),
		CheckpointDir:   t.CheckpointDir,
		KeepCheckpoints: t.KeepCheckpoints,
		TestBatch:       t.TestBatch,
	}
}

// LoadData reads the training and test sets a spec's data section names.
func LoadData(s *spec.Spec) (trainSet, testSet data.Dataset, err error) {
	d := s.Data
	switch d.Format {
	case spec.Random:
		shape := d.Random.Shape
		if len(shape) == 0 {
			shape = s.Model.Input
		}
		tr, err := data.NewRandom(shape, d.Random.Classes, d.Random.Train, s.Seed)
		if err != nil {
			return nil, nil, s.FieldError("data.random", err)
		}
		if d.Random.Test == 0 {
			return tr, nil, nil
		}
		te, err := data.NewRandom(shape, d.Random.Classes, d.Random.Test, s.Seed+1)
		if err != nil {
			return nil, nil, s.FieldError("data.random", err)
		}
		return tr, te, nil

	case spec.MNIST, spec.CIFAR10:
		dir, err := dataDir(s)
		if err != nil {
			return nil, nil, err
		}
		var tr, te *data.ImageSet
		if d.Format == spec.MNIST {
			tr, te, err = data.LoadMNIST(dir)
		} else {
			tr, te, err = data.LoadCIFAR10(dir)
		}
		if err != nil {
			return nil, nil, s.FieldError("data.dir", err)
		}
		norm := imageNormalize(d.Normalize)
		for _, set := range []*data.ImageSet{tr, te} {
			if err := set.SetNormalize(norm); err != nil {
				return nil, nil, s.FieldError("data.normalize", err)
			}
		}
		if a := d.Augment; a.Crop > 0 {
			// The network sees crops: the test set is cut in the centre,
			// as the pipeline's evaluation batches are, and so is the
			// training set, which then only gives the shapes.
			ctr, err := data.NewCenterCrop(tr, a.Crop, a.Pad)
			if err != nil {
				return nil, nil, s.FieldError("data.augment", err)
			}
			cte, err := data.NewCenterCrop(te, a.Crop, a.Pad)
			if err != nil {
				return nil, nil, s.FieldError("data.augment", err)
			}
			return ctr, cte, nil
		}
		return tr, te, nil
	}
	return nil, nil, s.FieldError("data.format", fmt.Errorf("train: unknown format %q", d.Format))
}

// dataDir returns the folder of a spec's data files.
func dataDir(s *spec.Spec) (string, error) {
	dir := s.DataDir()
	if dir != spec.GoMNIST {
		return dir, nil
	}
	dir, err := data.GoMNISTDir()
	if err != nil {
		return "", s.FieldError("data.dir", err)
	}
	return dir, nil
}

// imageNormalize turns the spec's (b*Scale - Mean)/Std over raw bytes b
// into the data package's (b/255 - Mean')/Std', the same map.
func imageNormalize(n spec.Normalize) data.Normalize {
	k := 255 * n.Scale
	out := data.Normalize{
		Mean: make([]float32, len(n.Mean)),
		Std:  make([]float32, len(n.Std)),
	}
	for i, m := range n.Mean {
		out.Mean[i] = m / k
	}
	for i, s := range n.Std {
		out.Std[i] = s / k
	}
	if len(n.Std) == 0 {
		out.Std = []float32{1 / k}
	}
	return out
}

// checkClasses refuses a network whose loss reads fewer class scores than
// the data have classes, which would otherwise surface as a NaN loss.
func checkClasses(s *spec.Spec, g *model.Graph, classes int) error {
	loss := g.Nodes()[g.Loss()]
	i, _ := g.Lookup(loss.Inputs[0])
	if scores := g.Shape(i).Size(); scores < classes {
		return s.FieldError("model.layers", fmt.Errorf(
			"train: %s reads %d class scores from %s, but the data have %d classes",
			loss.Layer.Name(), scores, loss.Inputs[0], classes))
	}
	return nil
}

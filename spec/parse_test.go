package spec

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/tensor"
)

// withoutPositions returns a copy of s without what depends on where and
// how it was written: File, positions and layer lines.
func withoutPositions(s *Spec) Spec {
	c := *s
	c.File, c.pos = "", nil
	c.Model.Layers = append([]LayerSpec(nil), s.Model.Layers...)
	for i := range c.Model.Layers {
		c.Model.Layers[i].Line, c.Model.Layers[i].Column = 0, 0
	}
	return c
}

func mustParse(t *testing.T, name, src string) *Spec {
	t.Helper()
	s, err := Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\nspec:\n%s", err, src)
	}
	return s
}

func TestDefaults(t *testing.T) {
	s := mustParse(t, "t.yaml", base)
	want := Spec{
		Name: "t",
		Seed: 1,
		Data: Data{
			Format:    MNIST,
			Dir:       GoMNIST,
			Normalize: Normalize{Scale: 1.0 / 255, Mean: []float32{0}, Std: []float32{1}},
			Shuffle:   true,
		},
		Model: Model{
			Input: tensor.Shape{1, 28, 28},
			Layers: []LayerSpec{
				{
					Name: "fc1", Type: TypeFC, Inputs: []string{"data"},
					LRMult: 1, BiasLRMult: 1, DecayMult: 1, BiasDecayMult: 0,
					Config: layer.FullyConnectedConfig{
						Outputs:    10,
						WeightFill: layer.Fill{Kind: layer.FillXavier},
						BiasFill:   layer.Fill{Kind: layer.FillConstant},
					},
				},
				{
					Name: "loss", Type: TypeSoftmaxLoss, Inputs: []string{"fc1", "label"},
					LRMult: 1, BiasLRMult: 1, DecayMult: 1,
				},
			},
		},
		Solver: optim.Config{Method: optim.SGD, BaseLR: 0.1, Policy: optim.PolicyFixed},
		Train: Train{
			Batch:             8,
			Epochs:            1,
			TestBatch:         8,
			DisplayEverySteps: 100,
			CheckpointDir:     "runs/t",
			KeepCheckpoints:   3,
		},
		Parallel: Parallel{Devices: 1, Exchange: ExchangeAuto, Groups: 1, Workers: 1,
			Split: SplitNone},
	}
	if got := withoutPositions(s); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
	if s.File != "t.yaml" {
		t.Errorf("File = %q", s.File)
	}
	for i, want := range [][2]int{{6, 7}, {7, 7}} {
		if l := s.Model.Layers[i]; l.Line != want[0] || l.Column != want[1] {
			t.Errorf("layer %d at %d:%d, want %d:%d", i, l.Line, l.Column, want[0], want[1])
		}
	}
}

func TestEveryField(t *testing.T) {
	src, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := mustParse(t, "testdata/full.yaml", string(src))

	if s.Name != "full.spec_1" || s.Seed != 1<<64-1 {
		t.Errorf("name %q seed %d", s.Name, s.Seed)
	}
	wantData := Data{
		Format: CIFAR10,
		Dir:    "cifar",
		Normalize: Normalize{Scale: 1, Mean: []float32{125.3, 123, 113.9},
			Std: []float32{64, 64, 64}},
		Augment:  Augment{Crop: 32, Pad: 4, Mirror: true},
		Pipeline: Pipeline{Enabled: true, Threads: 2, Depth: 3},
	}
	if !reflect.DeepEqual(s.Data, wantData) {
		t.Errorf("data %+v, want %+v", s.Data, wantData)
	}
	if got := s.DataDir(); got != filepath.Join("testdata", "cifar") {
		t.Errorf("DataDir() = %q", got)
	}

	gauss := layer.Fill{Kind: layer.FillGaussian, Mean: 0.5, Std: 0.0001}
	xavier := layer.Fill{Kind: layer.FillXavier}
	zero := layer.Fill{Kind: layer.FillConstant}
	wantLayers := []struct {
		name   string
		inputs []string
		mults  [4]float32
		config any
	}{
		{"conv1", []string{"data"}, [4]float32{0.5, 2, 3, 1}, layer.Conv2DConfig{
			Filters: 32, KernelH: 5, KernelW: 3, StrideH: 2, StrideW: 2, PadH: 2, PadW: 1,
			Groups: 1, WeightFill: gauss,
			BiasFill: layer.Fill{Kind: layer.FillConstant, Value: 0.1}}},
		{"lrn1", []string{"conv1"}, [4]float32{1, 1, 1, 0},
			layer.LRNConfig{Size: 3, Alpha: 5e-5, Beta: 0.5, K: 2}},
		{"pool1", []string{"lrn1"}, [4]float32{1, 1, 1, 0}, layer.PoolConfig{
			Method: layer.PoolAverage, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 1,
			PadH: 1, PadW: 1}},
		{"left", []string{"pool1"}, [4]float32{1, 1, 1, 0}, layer.Conv2DConfig{
			Filters: 8, KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1, Groups: 2,
			NoBias: true, WeightFill: layer.Fill{Kind: layer.FillHe}, BiasFill: zero}},
		{"right", []string{"pool1"}, [4]float32{1, 1, 1, 0}, layer.Conv2DConfig{
			Filters: 8, KernelH: 1, KernelW: 1, StrideH: 1, StrideW: 1, Groups: 1,
			WeightFill: layer.Fill{Kind: layer.FillUniform, Min: -0.1, Max: 0.1},
			BiasFill:   zero}},
		{"cat", []string{"left", "right"}, [4]float32{1, 1, 1, 0}, nil},
		{"t", []string{"cat"}, [4]float32{1, 1, 1, 0}, nil},
		{"s", []string{"t"}, [4]float32{1, 1, 1, 0}, nil},
		{"r", []string{"s"}, [4]float32{1, 1, 1, 0}, nil},
		{"drop", []string{"r"}, [4]float32{1, 1, 1, 0}, layer.DropoutConfig{Rate: 0.25}},
		{"fc", []string{"drop"}, [4]float32{1, 1, 1, 0}, layer.FullyConnectedConfig{
			Outputs: 10, NoBias: true, WeightFill: xavier, BiasFill: zero}},
		{"loss", []string{"fc", "label"}, [4]float32{1, 1, 1, 0}, nil},
	}
	if len(s.Model.Layers) != len(wantLayers) {
		t.Fatalf("%d layers, want %d", len(s.Model.Layers), len(wantLayers))
	}
	for i, w := range wantLayers {
		l := s.Model.Layers[i]
		mults := [4]float32{l.LRMult, l.BiasLRMult, l.DecayMult, l.BiasDecayMult}
		if l.Name != w.name || !reflect.DeepEqual(l.Inputs, w.inputs) || mults != w.mults ||
			!reflect.DeepEqual(l.Config, w.config) {
			t.Errorf("layer %d:\n got %s %v %v %#v\nwant %s %v %v %#v", i, l.Name, l.Inputs,
				mults, l.Config, w.name, w.inputs, w.mults, w.config)
		}
	}

	wantSolver := optim.Config{Method: optim.Nesterov, BaseLR: 0.01, Momentum: 0.95,
		WeightDecay: 1e-4, Policy: optim.PolicyStep, Gamma: 0.5, StepSize: 1000}
	if !reflect.DeepEqual(s.Solver, wantSolver) {
		t.Errorf("solver %+v, want %+v", s.Solver, wantSolver)
	}
	wantTrain := Train{Batch: 32, Iterations: 10000, TestBatch: 500, EvalEverySteps: 250,
		CheckpointEverySteps: 500, CheckpointDir: "/tmp/ckpt", Threads: 2}
	if s.Train != wantTrain {
		t.Errorf("train %+v, want %+v", s.Train, wantTrain)
	}
	wantParallel := Parallel{Devices: 1, Exchange: ExchangeRing, Groups: 2, Workers: 2,
		Split: SplitColumns}
	if s.Parallel != wantParallel {
		t.Errorf("parallel %+v, want %+v", s.Parallel, wantParallel)
	}
	for _, l := range s.Model.Layers {
		if l.HasPartition != (l.Name == "fc") || (l.Name == "fc" && l.Partition != 1) {
			t.Errorf("%s: partition %d (set %v)", l.Name, l.Partition, l.HasPartition)
		}
	}
}

func TestPolicies(t *testing.T) {
	tests := []struct {
		solver string
		want   optim.Config
	}{
		{"{lr: 0.1, lr_policy: fixed}",
			optim.Config{Method: optim.SGD, BaseLR: 0.1, Policy: optim.PolicyFixed}},
		{"{lr: 0.1, lr_policy: {type: fixed}}",
			optim.Config{Method: optim.SGD, BaseLR: 0.1, Policy: optim.PolicyFixed}},
		{"{lr: 0.1, lr_policy: {type: multistep, gamma: 0.1, steps: [10, 20]}}",
			optim.Config{Method: optim.SGD, BaseLR: 0.1, Policy: optim.PolicyMultiStep,
				Gamma: 0.1, Steps: []int64{10, 20}}},
		{"{lr: 0.1, lr_policy: {type: exp, gamma: 0.999}}",
			optim.Config{Method: optim.SGD, BaseLR: 0.1, Policy: optim.PolicyExp,
				Gamma: 0.999}},
		{"{lr: 0.1, lr_policy: {type: inv, gamma: 1e-4, power: 0.75}}",
			optim.Config{Method: optim.SGD, BaseLR: 0.1, Policy: optim.PolicyInv,
				Gamma: 1e-4, Power: 0.75}},
		{"{method: adagrad, lr: 0.1}",
			optim.Config{Method: optim.AdaGrad, BaseLR: 0.1, Epsilon: 1e-8,
				Policy: optim.PolicyFixed}},
		{"{method: adagrad, lr: 0.1, epsilon: 1e-6, weight_decay: 0}",
			optim.Config{Method: optim.AdaGrad, BaseLR: 0.1, Epsilon: 1e-6,
				Policy: optim.PolicyFixed}},
	}
	for _, tt := range tests {
		t.Run(tt.solver, func(t *testing.T) {
			s := mustParse(t, "t.yaml", edit(t, "solver:\n  lr: 0.1", "solver: "+tt.solver))
			if !reflect.DeepEqual(s.Solver, tt.want) {
				t.Errorf("got %+v, want %+v", s.Solver, tt.want)
			}
		})
	}
}

func TestInputShapes(t *testing.T) {
	const random = "  format: random\n  random: {train: 100, classes: 5"
	tests := []struct {
		name        string
		edits       []string
		input, data tensor.Shape // model.input, data.random.shape (nil: not random)
	}{
		{"mnist default", nil, tensor.Shape{1, 28, 28}, nil},
		{"mnist as a vector", []string{"  layers:", "  input: [784]\n  layers:"},
			tensor.Shape{784}, nil},
		{"random shape from the model",
			[]string{"  format: mnist", random + "}", "  layers:", "  input: [40]\n  layers:"},
			tensor.Shape{40}, tensor.Shape{40}},
		{"model input from the random shape",
			[]string{"  format: mnist", random + ", shape: [3, 4, 4]}"},
			tensor.Shape{3, 4, 4}, tensor.Shape{3, 4, 4}},
		{"random reinterpreted",
			[]string{"  format: mnist", random + ", shape: [48]}",
				"  layers:", "  input: [3, 4, 4]\n  layers:"},
			tensor.Shape{3, 4, 4}, tensor.Shape{48}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, "t.yaml", edit(t, tt.edits...))
			if !s.Model.Input.Equal(tt.input) {
				t.Errorf("model.input %v, want %v", s.Model.Input, tt.input)
			}
			if !s.Data.Random.Shape.Equal(tt.data) {
				t.Errorf("data.random.shape %v, want %v", s.Data.Random.Shape, tt.data)
			}
		})
	}
}

func TestDataShapeAndClasses(t *testing.T) {
	tests := []struct {
		data    Data
		shape   tensor.Shape
		classes int
	}{
		{Data{Format: MNIST}, tensor.Shape{1, 28, 28}, 10},
		{Data{Format: CIFAR10}, tensor.Shape{3, 32, 32}, 10},
		{Data{Format: CIFAR10, Augment: Augment{Crop: 24}}, tensor.Shape{3, 24, 24}, 10},
		{Data{Format: Random, Random: RandomData{Shape: tensor.Shape{440}, Classes: 3000}},
			tensor.Shape{440}, 3000},
		{Data{}, nil, 0},
	}
	for _, tt := range tests {
		if got := tt.data.SampleShape(); !got.Equal(tt.shape) {
			t.Errorf("%s: SampleShape() = %v, want %v", tt.data.Format, got, tt.shape)
		}
		if got := tt.data.Classes(); got != tt.classes {
			t.Errorf("%s: Classes() = %d, want %d", tt.data.Format, got, tt.classes)
		}
	}
}

func TestAliases(t *testing.T) {
	src := edit(t,
		"    - {name: fc1, type: fc, outputs: 10}",
		"    - {name: fc1, type: fc, outputs: 10,\n"+
			"       weight_fill: &small {type: gaussian, std: 0.01}}\n"+
			"    - {name: fc2, type: fc, outputs: 10, weight_fill: *small}")
	s := mustParse(t, "t.yaml", src)
	want := layer.Fill{Kind: layer.FillGaussian, Std: 0.01}
	for _, l := range s.Model.Layers[:2] {
		if got := l.Config.(layer.FullyConnectedConfig).WeightFill; got != want {
			t.Errorf("%s: weight_fill %+v, want %+v", l.Name, got, want)
		}
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "job.yaml")
	src := edit(t, "  format: mnist", "  format: mnist\n  dir: data")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.File != path || s.DataDir() != filepath.Join(dir, "data") {
		t.Errorf("File %q, DataDir() %q", s.File, s.DataDir())
	}

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "spec: ") {
		t.Errorf("Load of a missing file: %v", err)
	}

	// A bad file is refused with the path in every message.
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(edit(t, "  lr: 0.1", "  lr: x")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(bad)
	if err == nil || !strings.HasPrefix(err.Error(), "spec: "+bad+":9:7: solver.lr: ") {
		t.Errorf("Load of a bad file: %v", err)
	}
}

func TestDataDir(t *testing.T) {
	tests := []struct{ file, dir, want string }{
		{"specs/a.yaml", GoMNIST, GoMNIST},
		{"specs/a.yaml", "/data/mnist", "/data/mnist"},
		{"specs/a.yaml", "mnist", filepath.Join("specs", "mnist")},
		{"a.yaml", "data/cifar", filepath.Join("data", "cifar")},
		{"a.yaml", "", ""},
	}
	for _, tt := range tests {
		s := &Spec{File: tt.file, Data: Data{Dir: tt.dir}}
		if got := s.DataDir(); got != tt.want {
			t.Errorf("file %q dir %q: DataDir() = %q, want %q", tt.file, tt.dir, got, tt.want)
		}
	}
}

func TestLayerError(t *testing.T) {
	s := mustParse(t, "t.yaml", base)
	cause := errors.New("layer: fc1: outputs too large")
	err := s.LayerError(0, cause)
	want := "spec: t.yaml:6:7: model.layers[0]: layer: fc1: outputs too large"
	if err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if !errors.Is(err, cause) {
		t.Error("LayerError does not unwrap to its cause")
	}
	got := s.LayerError(7, cause).Error()
	if got != "spec: t.yaml: model.layers[7]: "+cause.Error() {
		t.Errorf("out of range: %q", got)
	}
}

func TestFieldError(t *testing.T) {
	s := mustParse(t, "t.yaml", base)
	cause := errors.New("data: no such folder")
	tests := []struct{ field, want string }{
		{"data.format", "spec: t.yaml:3:11: data.format: data: no such folder"},
		// Not written in the file: the enclosing field's position.
		{"data.dir", "spec: t.yaml:2:1: data.dir: data: no such folder"},
		{"model.layers[1].inputs",
			"spec: t.yaml:7:7: model.layers[1].inputs: data: no such folder"},
		{"nowhere", "spec: t.yaml: nowhere: data: no such folder"},
	}
	for _, tt := range tests {
		err := s.FieldError(tt.field, cause)
		if err.Error() != tt.want {
			t.Errorf("got %q, want %q", err, tt.want)
		}
		if !errors.Is(err, cause) {
			t.Errorf("%s: does not unwrap to its cause", tt.field)
		}
	}

	// A Spec built in code has no positions.
	built := &Spec{File: "x.yaml"}
	got := built.FieldError("data.dir", cause).Error()
	if got != "spec: x.yaml: data.dir: "+cause.Error() {
		t.Errorf("built in code: %q", got)
	}
}

func TestTooLarge(t *testing.T) {
	src := base + "# " + strings.Repeat("x", MaxSize) + "\n"
	_, err := Parse("t.yaml", []byte(src))
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "at most") {
		t.Errorf("got %v", err)
	}
}

func TestAliasBomb(t *testing.T) {
	// Each level doubles the nodes: 2^30 if expanded in full.
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x]\n")
	for i := 1; i <= 30; i++ {
		b.WriteString("a" + itoa(i) + ": &a" + itoa(i) + " [*a" + itoa(i-1) + ", *a" +
			itoa(i-1) + "]\n")
	}
	_, err := Parse("t.yaml", []byte(b.String()))
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "aliases expand") {
		t.Errorf("got %v", err)
	}
}

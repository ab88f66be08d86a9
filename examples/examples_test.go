package examples

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/spec"
)

func TestNames(t *testing.T) {
	want := []string{"alexnet-small", "cifar10-quick", "mnist-lenet", "mnist-mlp", "speech-dnn"}
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
}

// TestSourceIsTheFile checks that the embedded text is the file in this
// folder, which users read and copy.
func TestSourceIsTheFile(t *testing.T) {
	for _, name := range Names() {
		src, err := Source(name)
		if err != nil {
			t.Fatal(err)
		}
		file, err := os.ReadFile(name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(src, file) {
			t.Errorf("%s: embedded text differs from %s.yaml", name, name)
		}
	}
}

func TestUnknown(t *testing.T) {
	for _, f := range []func(string) error{
		func(n string) error { _, err := Source(n); return err },
		func(n string) error { _, err := Load(n); return err },
	} {
		err := f("mnist")
		if !errors.Is(err, ErrUnknown) {
			t.Fatalf("got %v, want ErrUnknown", err)
		}
		if !strings.Contains(err.Error(), "mnist-mlp") {
			t.Errorf("error %q does not list the examples", err)
		}
	}
}

// architecture summarises a network as "fc:1024 relu ...": type and size.
func architecture(s *spec.Spec) string {
	var parts []string
	for _, l := range s.Model.Layers {
		switch c := l.Config.(type) {
		case layer.FullyConnectedConfig:
			parts = append(parts, fmt.Sprintf("fc:%d", c.Outputs))
		case layer.Conv2DConfig:
			parts = append(parts, fmt.Sprintf("conv:%dx%dx%d/p%d", c.KernelH, c.KernelW,
				c.Filters, c.PadH))
		case layer.PoolConfig:
			parts = append(parts, fmt.Sprintf("%s:%d/%d", c.Method, c.KernelH, c.StrideH))
		default:
			parts = append(parts, string(l.Type))
		}
	}
	return strings.Join(parts, " ")
}

func TestExamples(t *testing.T) {
	tests := []struct {
		name   string
		arch   string
		input  string
		batch  int
		format spec.Format
		solver optim.Config
		check  func(t *testing.T, s *spec.Spec)
	}{
		{
			name: "alexnet-small",
			arch: "conv:11x11x96/p0 relu lrn max:3/2 conv:5x5x256/p2 relu lrn max:3/2 " +
				"conv:3x3x384/p1 relu conv:3x3x384/p1 relu conv:3x3x256/p1 relu max:3/2 " +
				"fc:4096 relu dropout fc:4096 relu dropout fc:100 softmax_loss",
			input:  "3x96x96",
			batch:  64,
			format: spec.Random,
			solver: optim.Config{Method: optim.SGD, BaseLR: 0.01, Momentum: 0.9,
				WeightDecay: 5e-4, Policy: optim.PolicyStep, Gamma: 0.1, StepSize: 1000},
			check: func(t *testing.T, s *spec.Spec) {
				// The columns of the 2012 network: groups 2 in conv2, conv4
				// and conv5, cut into two columns on two workers.
				var groups []int
				for _, l := range s.Model.Layers {
					if c, ok := l.Config.(layer.Conv2DConfig); ok {
						groups = append(groups, c.Groups)
					}
				}
				if want := []int{1, 2, 1, 2, 2}; !slices.Equal(groups, want) {
					t.Errorf("conv groups %v, want %v", groups, want)
				}
				want := spec.Parallel{Devices: 1, Exchange: spec.ExchangeAuto, Groups: 1,
					Workers: 2, Split: spec.SplitColumns}
				if s.Parallel != want || s.Data.Random.Classes != 100 {
					t.Errorf("parallel %+v, classes %d", s.Parallel, s.Data.Random.Classes)
				}
			},
		},
		{
			name:   "mnist-mlp",
			arch:   "fc:1024 relu fc:1024 relu fc:10 softmax_loss",
			input:  "1x28x28",
			batch:  128,
			format: spec.MNIST,
			solver: optim.Config{Method: optim.SGD, BaseLR: 0.05, Momentum: 0.9,
				WeightDecay: 1e-4, Policy: optim.PolicyMultiStep, Gamma: 0.1,
				Steps: []int64{2808, 3744}},
			check: func(t *testing.T, s *spec.Spec) {
				n := s.Data.Normalize
				if s.Data.Dir != spec.GoMNIST || n.Mean[0] != 0.1307 || n.Std[0] != 0.3081 ||
					s.Train.Epochs != 10 {
					t.Errorf("data %+v, epochs %d", s.Data, s.Train.Epochs)
				}
			},
		},
		{
			name: "mnist-lenet",
			arch: "conv:5x5x20/p0 max:2/2 conv:5x5x50/p0 max:2/2 fc:500 relu fc:10 " +
				"softmax_loss",
			input:  "1x28x28",
			batch:  64,
			format: spec.MNIST,
			solver: optim.Config{Method: optim.SGD, BaseLR: 0.01, Momentum: 0.9,
				WeightDecay: 5e-4, Policy: optim.PolicyMultiStep, Gamma: 0.1,
				Steps: []int64{4685, 6559}},
			check: func(t *testing.T, s *spec.Spec) {
				n := s.Data.Normalize
				if n.Mean[0] != 0.1307 || n.Std[0] != 0.3081 || s.Train.Epochs != 8 {
					t.Errorf("normalize %+v, epochs %d", n, s.Train.Epochs)
				}
			},
		},
		{
			name: "cifar10-quick",
			arch: "conv:5x5x32/p2 max:3/2 relu conv:5x5x32/p2 relu average:3/2 " +
				"conv:5x5x64/p2 relu average:3/2 fc:64 fc:10 softmax_loss",
			input:  "3x32x32",
			batch:  100,
			format: spec.CIFAR10,
			solver: optim.Config{Method: optim.SGD, BaseLR: 0.001, Momentum: 0.9,
				WeightDecay: 0.004, Policy: optim.PolicyMultiStep, Gamma: 0.1,
				Steps: []int64{4000}},
			check: func(t *testing.T, s *spec.Spec) {
				// Caffe's fills: std 0.0001 for conv1, 0.01 for conv2 and conv3,
				// 0.1 for ip1 and ip2.
				var stds []float32
				for _, l := range s.Model.Layers {
					switch c := l.Config.(type) {
					case layer.Conv2DConfig:
						stds = append(stds, c.WeightFill.Std)
					case layer.FullyConnectedConfig:
						stds = append(stds, c.WeightFill.Std)
					}
				}
				if want := []float32{0.0001, 0.01, 0.01, 0.1, 0.1}; !slices.Equal(stds, want) {
					t.Errorf("weight fill stds %v, want %v", stds, want)
				}
				if s.DataDir() != "data/cifar-10-batches-bin" || s.Train.Iterations != 5000 {
					t.Errorf("DataDir() %q, iterations %d", s.DataDir(), s.Train.Iterations)
				}
			},
		},
		{
			name: "speech-dnn",
			arch: "fc:2048 sigmoid fc:2048 sigmoid fc:2048 sigmoid fc:2048 sigmoid " +
				"fc:3000 softmax_loss",
			input:  "440",
			batch:  256,
			format: spec.Random,
			solver: optim.Config{Method: optim.SGD, BaseLR: 0.01, Momentum: 0.9,
				Policy: optim.PolicyFixed},
			check: func(t *testing.T, s *spec.Spec) {
				if r := s.Data.Random; r.Classes != 3000 || r.Shape.String() != "440" {
					t.Errorf("random data %+v", r)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tt.name || s.File != tt.name+".yaml" {
				t.Errorf("name %q, file %q", s.Name, s.File)
			}
			if got := architecture(s); got != tt.arch {
				t.Errorf("architecture\n got %s\nwant %s", got, tt.arch)
			}
			if s.Model.Input.String() != tt.input || s.Train.Batch != tt.batch ||
				s.Data.Format != tt.format {
				t.Errorf("input %v, batch %d, format %s", s.Model.Input, s.Train.Batch,
					s.Data.Format)
			}
			if !reflect.DeepEqual(s.Solver, tt.solver) {
				t.Errorf("solver %+v, want %+v", s.Solver, tt.solver)
			}
			tt.check(t, s)

			// Each example can be written back, as checkpoints do.
			if _, err := spec.Marshal(s); err != nil {
				t.Error(err)
			}
		})
	}
}

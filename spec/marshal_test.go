package spec

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/tensor"
)

// specFiles returns the example specs and the test specs, by name.
func specFiles(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob("../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 4 {
		t.Fatalf("found %d example specs, want at least 4", len(paths))
	}
	paths = append(paths, "testdata/full.yaml")
	files := map[string][]byte{"base": []byte(base)}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[p] = src
	}
	return files
}

// equalSpecs reports whether a and b describe the same job.
func equalSpecs(a, b *Spec) bool {
	return reflect.DeepEqual(withoutPositions(a), withoutPositions(b))
}

// roundTrip marshals s, parses the text back and checks that it describes
// the same job, and that marshalling again gives the same text.
func roundTrip(t *testing.T, s *Spec) {
	t.Helper()
	out, err := Marshal(s)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	back, err := Parse("again.yaml", out)
	if err != nil {
		t.Fatalf("Parse of Marshal's output: %v\n%s", err, out)
	}
	if !equalSpecs(back, s) {
		t.Fatalf("round trip changed the spec:\n got %+v\nwant %+v\ntext:\n%s",
			withoutPositions(back), withoutPositions(s), out)
	}
	again, err := Marshal(back)
	if err != nil {
		t.Fatalf("second Marshal: %v", err)
	}
	if !bytes.Equal(again, out) {
		t.Fatalf("Marshal is not stable:\n%s\n---\n%s", out, again)
	}
}

func TestRoundTrip(t *testing.T) {
	for name, src := range specFiles(t) {
		t.Run(name, func(t *testing.T) {
			roundTrip(t, mustParse(t, name, string(src)))
		})
	}
}

func TestMarshalLinesFit(t *testing.T) {
	for name, src := range specFiles(t) {
		out, err := Marshal(mustParse(t, name, string(src)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, line := range strings.Split(string(out), "\n") {
			if len(line) > 100 {
				t.Errorf("%s: line %d of the output is %d columns: %s", name, i+1, len(line),
					line)
			}
		}
	}
}

// TestMarshalBuilt marshals a Spec built in code, as a program that
// generates specs would.
func TestMarshalBuilt(t *testing.T) {
	s := &Spec{
		Name: "built",
		Seed: 7,
		Data: Data{Format: Random, Random: RandomData{Train: 64, Test: 8,
			Shape: tensor.Shape{20}, Classes: 4}, Shuffle: true},
		Model: Model{Input: tensor.Shape{20}, Layers: []LayerSpec{
			{Name: "fc1", Type: TypeFC, Inputs: []string{"data"}, LRMult: 1, BiasLRMult: 2,
				DecayMult: 1, Config: layer.FullyConnectedConfig{Outputs: 4,
					WeightFill: layer.Fill{Kind: layer.FillHe},
					BiasFill:   layer.Fill{Kind: layer.FillConstant, Value: 0.5}}},
			{Name: "loss", Type: TypeSoftmaxLoss, Inputs: []string{"fc1", "label"},
				LRMult: 1, BiasLRMult: 1, DecayMult: 1},
		}},
		Solver: optim.Config{Method: optim.AdaGrad, BaseLR: 0.5, Epsilon: 1e-7,
			Policy: optim.PolicyFixed},
		Train: Train{Batch: 8, Epochs: 2, TestBatch: 8, DisplayEverySteps: 10,
			CheckpointDir: "out", KeepCheckpoints: 1},
		Parallel: Parallel{Devices: 1, Exchange: ExchangeRing, Groups: 2, Workers: 2,
			Split: SplitExplicit},
	}
	s.Model.Layers[1].Partition, s.Model.Layers[1].HasPartition = 1, true
	s.Model.Layers[0].HasPartition = true
	roundTrip(t, s)
}

func TestMarshalRefuses(t *testing.T) {
	good := func() *Spec { return mustParse(t, "t.yaml", base) }
	tests := []struct {
		name   string
		change func(s *Spec)
		want   error  // errors.Is target, or nil
		text   string // in the message
	}{
		{"config of the wrong type", func(s *Spec) {
			s.Model.Layers[0].Config = layer.PoolConfig{}
		}, nil, "type fc wants a Config of type layer.FullyConnectedConfig, got layer.PoolConfig"},
		{"config on a layer without fields", func(s *Spec) {
			s.Model.Layers[1].Config = layer.DropoutConfig{}
		}, nil, "type softmax_loss takes no Config"},
		{"invalid value", func(s *Spec) { s.Solver.BaseLR = -1 }, ErrValue,
			"solver.lr: must be a finite number > 0"},
		{"no name", func(s *Spec) { s.Name = "" }, ErrValue, "name: want a job name"},
		{"parallel left zero", func(s *Spec) { s.Parallel = Parallel{} }, ErrValue,
			"parallel.devices: want an integer from 1 to 1024, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good()
			tt.change(s)
			out, err := Marshal(s)
			if err == nil {
				t.Fatalf("Marshal succeeded:\n%s", out)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v is not %v", err, tt.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.text) || !strings.HasPrefix(msg, "spec: ") {
				t.Errorf("error %q does not say %q", err, tt.text)
			}
		})
	}
}

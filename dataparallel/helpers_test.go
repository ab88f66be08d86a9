package dataparallel

import (
	"context"
	"math"
	"testing"

	"github.com/mariana-dl/mariana/device"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/train"
)

// smallSpec has every kind of state data-parallel training must carry
// exactly: a convolution, dropout masks that depend on the global sample
// index, momentum history, a shuffled data order, and small layers that
// share a segment.
const smallSpec = `
name: small
seed: 7
data:
  format: random
  random: {train: 600, test: 200, shape: [1, 8, 8], classes: 5}
model:
  input: [1, 8, 8]
  layers:
    - {name: conv1, type: conv, filters: 4, kernel: 3, pad: 1}
    - {name: relu1, type: relu}
    - {name: pool1, type: pool, method: max, kernel: 2}
    - {name: fc1, type: fc, outputs: 48}
    - {name: drop1, type: dropout, rate: 0.3}
    - {name: fc2, type: fc, outputs: 5}
    - {name: loss, type: softmax_loss}
solver:
  method: nesterov
  lr: 0.05
  momentum: 0.9
  weight_decay: 0.001
  lr_policy: {type: step, gamma: 0.5, step_size: 10}
train:
  batch: 36
  iterations: 40
`

// adagradSpec is an MLP trained with AdaGrad.
const adagradSpec = `
name: ada
seed: 11
data:
  format: random
  random: {train: 480, test: 120, shape: [20], classes: 4}
model:
  input: [20]
  layers:
    - {name: fc1, type: fc, outputs: 300}
    - {name: sig1, type: sigmoid}
    - {name: fc2, type: fc, outputs: 4}
    - {name: loss, type: softmax_loss}
solver: {method: adagrad, lr: 0.1, weight_decay: 0.0005}
train: {batch: 24, iterations: 30}
`

func buildJob(t testing.TB, src string) *train.Job {
	t.Helper()
	s, err := spec.Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	job, err := train.Build(s, train.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

// cpus returns n unpinned one-thread devices.
func cpus(t testing.TB, n int) []device.Device {
	t.Helper()
	split, err := device.SplitCPUs(n, n)
	if err != nil {
		t.Fatal(err)
	}
	devs := make([]device.Device, n)
	for i, d := range split {
		devs[i] = d
	}
	return devs
}

// trainSingle trains src's network for steps steps on one device.
func trainSingle(t testing.TB, src string, steps int64) []*layer.Param {
	t.Helper()
	job := buildJob(t, src)
	tr, err := train.New(train.Config{Steps: steps}, job.Net, job.Solver, job.Batches(), nil,
		job.Context, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return job.Net.Params()
}

// trainLocal trains src's network for steps steps on n in-process devices.
func trainLocal(t testing.TB, src string, n int, cfg Config, steps int64) *Group {
	t.Helper()
	job := buildJob(t, src)
	g, err := NewLocal(job, cpus(t, n), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	tr, err := train.NewWithEngine(train.Config{Steps: steps}, g, job.Batches(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return g
}

// relDiff returns the largest relative difference between two sets of
// parameters, ‖a−b‖ / ‖b‖ per parameter tensor. An element-wise maximum
// would not do: AdaGrad's first step is nearly the sign of each gradient
// element, so an element whose gradient cancels to almost nothing moves
// by a sizeable step either way when its sum is grouped differently.
func relDiff(t testing.TB, got, want []*layer.Param) (float64, string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d params, want %d", len(got), len(want))
	}
	worst, where := 0.0, ""
	for i := range want {
		var diff, norm float64
		for j, w := range want[i].Value.Data {
			d := float64(got[i].Value.Data[j]) - float64(w)
			diff += d * d
			norm += float64(w) * float64(w)
		}
		if r := math.Sqrt(diff / norm); r > worst || math.IsNaN(r) {
			worst, where = r, want[i].Name
		}
	}
	return worst, where
}

// sameBits reports the first parameter value that differs in its bits.
func sameBits(t testing.TB, got, want []*layer.Param) {
	t.Helper()
	for i := range want {
		for j, w := range want[i].Value.Data {
			if g := got[i].Value.Data[j]; math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("%s[%d] = %v, want %v bit for bit", want[i].Name, j, g, w)
			}
		}
	}
}

package train

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/spec"
)

// smallSpec is a network with every kind of state that resume must carry:
// momentum history, a shuffled data order and dropout masks.
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
    - {name: fc1, type: fc, outputs: 16}
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
  batch: 32
  iterations: 40
  display_every_steps: 5
`

func buildSmall(t *testing.T, src string, threads int) *Job {
	t.Helper()
	s, err := spec.Parse("small.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	job, err := Build(s, Options{Threads: threads})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

func newTrainer(t *testing.T, job *Job, cfg Config) *Trainer {
	t.Helper()
	tr, err := New(cfg, job.Net, job.Solver, job.Batches(), job.Test, job.Context, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestResumeIsBitIdentical trains 40 steps in one go, and 17 steps, a
// checkpoint through a file, and 23 more in a new process-like trainer; the
// weights must match bit for bit.
func TestResumeIsBitIdentical(t *testing.T) {
	checkResume(t, func() *Job { return buildSmall(t, smallSpec, 2) }, 17, 40)
}

// checkResume trains a job from build for steps steps in one go, and for
// mid steps, a checkpoint through a file and the rest in a new trainer of
// a new job, and fails t unless the weights match bit for bit.
func checkResume(t *testing.T, build func() *Job, mid, steps int64) {
	t.Helper()
	whole := build()
	if _, err := newTrainer(t, whole, Config{Steps: steps}).Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	first := newTrainer(t, build(), Config{Steps: mid})
	if _, err := first.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap, err := first.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mid.safetensors")
	if err := checkpoint.Write(path, snap); err != nil {
		t.Fatal(err)
	}
	c, err := checkpoint.Read(path)
	if err != nil {
		t.Fatal(err)
	}

	second := build()
	tr := newTrainer(t, second, Config{Steps: steps})
	if err := tr.Resume(c); err != nil {
		t.Fatal(err)
	}
	if tr.Step() != mid {
		t.Fatalf("resumed at step %d, want %d", tr.Step(), mid)
	}
	if _, err := tr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	want, got := whole.Net.Params(), second.Net.Params()
	for i := range want {
		for j, w := range want[i].Value.Data {
			if g := got[i].Value.Data[j]; math.Float32bits(g) != math.Float32bits(w) {
				t.Fatalf("%s[%d] = %v after resume, %v uninterrupted", want[i].Name, j, g, w)
			}
		}
	}
}

// TestNonFiniteLossStopsAndKeepsCheckpoint makes a run diverge after a good
// checkpoint and checks that it stops with a clear error and that the good
// checkpoint is still the newest and holds finite weights.
func TestNonFiniteLossStopsAndKeepsCheckpoint(t *testing.T) {
	job := buildSmall(t, smallSpec, 1)
	dir := t.TempDir()
	tr := newTrainer(t, job, Config{Steps: 100, CheckpointEvery: 5, CheckpointDir: dir})

	// A few healthy steps and a checkpoint, then an absurd learning rate.
	if _, err := newTrainerWith(tr, 5).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	good := tr.lastCkpt
	if good == "" {
		t.Fatal("no checkpoint after 5 steps")
	}
	for _, p := range job.Net.Params() {
		p.LRMult = 1e12
	}
	tr.cfg.Steps = 100
	_, err := tr.Run(context.Background())

	var nf *NonFiniteError
	if !errors.As(err, &nf) {
		t.Fatalf("diverging run returned %v, want a NonFiniteError", err)
	}
	if nf.LastCheckpoint != good {
		t.Errorf("error names checkpoint %q, want %q", nf.LastCheckpoint, good)
	}
	latest, err := checkpoint.Latest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if latest.Path != good {
		t.Errorf("newest checkpoint %s, want the last good one %s", latest.Path, good)
	}
	c, err := checkpoint.Read(good)
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range c.Tensors {
		for _, x := range v.Data {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				t.Fatalf("last good checkpoint holds non-finite %s", name)
			}
		}
	}
}

// newTrainerWith limits tr's run to steps steps.
func newTrainerWith(tr *Trainer, steps int64) *Trainer {
	tr.cfg.Steps = steps
	return tr
}

// TestCancelWritesCheckpoint cancels a run and checks it saved its state.
func TestCancelWritesCheckpoint(t *testing.T) {
	job := buildSmall(t, smallSpec, 1)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	rep := &cancelAfter{steps: 3, cancel: cancel}
	tr, err := New(Config{Steps: 1000, DisplayEvery: 1, CheckpointDir: dir}, job.Net,
		job.Solver, job.Batches(), nil, job.Context, rep)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Run(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	latest, err := checkpoint.Latest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := latest.Checkpoint.Metadata[metaStep]; got != "3" {
		t.Errorf("checkpoint at step %s, want 3", got)
	}
}

type cancelAfter struct {
	NopReporter
	steps  int64
	cancel func()
}

func (c *cancelAfter) Progress(p Progress) {
	if p.Step >= c.steps {
		c.cancel()
	}
}

package partition

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/tensor"
	"github.com/mariana-dl/mariana/train"
)

// withParallel returns columnsNet with a parallel section.
func withParallel(t *testing.T, section string) string {
	t.Helper()
	return strings.Replace(columnsNet, "seed: 7\n", "seed: 7\nparallel: "+section+"\n", 1)
}

// trainer returns a Trainer of the spec src for steps steps: on one device,
// or through an Engine when parallel is set.
func trainer(t *testing.T, src string, steps int64, parallel bool) (*train.Trainer, *train.Job) {
	t.Helper()
	job, err := train.Build(parse(t, src), train.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.Config{Steps: steps}
	if !parallel {
		tr, err := train.New(cfg, job.Net, job.Solver, job.Batches(), job.Test, job.Context, nil)
		if err != nil {
			t.Fatal(err)
		}
		return tr, job
	}
	eng, err := NewEngine(job, Options{Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close() })
	tr, err := train.NewWithEngine(cfg, eng, job.Batches(), job.Test, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr, job
}

// TestEngineTrainsAsOneDevice runs the Trainer's loop through an Engine of
// two groups of two columns and on one device, and compares the weights.
func TestEngineTrainsAsOneDevice(t *testing.T) {
	src := withParallel(t, "{groups: 2, workers: 2, split: columns}")
	one, oneJob := trainer(t, src, 4, false)
	par, _ := trainer(t, src, 4, true)
	for _, tr := range []*train.Trainer{one, par} {
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	got := par.Engine().Params()
	for i, p := range oneJob.Graph.Params() {
		if got[i].Name != p.Name {
			t.Fatalf("parameter %d is %s, want %s", i, got[i].Name, p.Name)
		}
		if e := relErr(got[i].Value.Data, p.Value.Data); e > 1e-5 {
			t.Errorf("%s differs by %.3g relative", p.Name, e)
		}
	}
}

// TestEngineResumes stops a partitioned run after 2 steps, resumes it from
// the snapshot in a fresh process's worth of engine, and checks that it
// ends where an uninterrupted run ends, bit for bit; and that the snapshot
// resumes on one device too.
func TestEngineResumes(t *testing.T) {
	src := withParallel(t, "{workers: 2, split: columns}")
	whole, _ := trainer(t, src, 4, true)
	if _, err := whole.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	first, _ := trainer(t, src, 2, true)
	if _, err := first.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap, err := first.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	snap = clone(snap)

	second, _ := trainer(t, src, 4, true)
	if err := second.Resume(snap); err != nil {
		t.Fatal(err)
	}
	if _, err := second.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	want, got := whole.Engine().Params(), second.Engine().Params()
	for i := range want {
		if e := relErr(got[i].Value.Data, want[i].Value.Data); e != 0 {
			t.Errorf("%s differs by %.3g after resuming", want[i].Name, e)
		}
	}
	names, state, err := second.Engine().State()
	if err != nil || len(names) != len(want) {
		t.Fatalf("state %v, %v: want momentum for each of %d parameters", names, err,
			len(want))
	}
	wantNames, wantState, _ := whole.Engine().State()
	for i, n := range names {
		if n != wantNames[i] || relErr(state[n].Data, wantState[n].Data) != 0 {
			t.Errorf("solver state %s differs from %s's", n, wantNames[i])
		}
	}

	single, _ := trainer(t, src, 4, false)
	if err := single.Resume(snap); err != nil {
		t.Fatalf("a partitioned run's checkpoint does not resume on one device: %v", err)
	}
	if _, err := single.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// clone copies a snapshot's tensors, which may be the engine's own.
func clone(c *checkpoint.Checkpoint) *checkpoint.Checkpoint {
	out := &checkpoint.Checkpoint{Names: c.Names, Tensors: map[string]*tensor.Tensor{},
		Metadata: c.Metadata}
	for k, v := range c.Tensors {
		out.Tensors[k] = v.Clone()
	}
	return out
}

// TestEngineStopsOnANonFiniteLoss feeds a sample of NaN: the step fails as
// the Trainer expects, and no parameter changes.
func TestEngineStopsOnANonFiniteLoss(t *testing.T) {
	src := withParallel(t, "{groups: 2, workers: 2, split: columns}")
	tr, job := trainer(t, src, 4, true)
	eng := tr.Engine()
	before := make([][]float32, 0)
	for _, p := range eng.Params() {
		before = append(before, append([]float32(nil), p.Value.Data...))
	}
	x, y := batch(1, 8, job.Spec.Model.Input, 8)
	x.Data[len(x.Data)-1] = float32(math.NaN())
	_, err := eng.Step(0, x, y, false)
	var nf *train.NonFiniteError
	if !errors.As(err, &nf) || nf.What != "loss" {
		t.Fatalf("got %v, want a NonFiniteError about the loss", err)
	}
	for i, p := range eng.Params() {
		if relErr(p.Value.Data, before[i]) != 0 {
			t.Errorf("%s changed in the failed step", p.Name)
		}
	}
}

// TestEngineEvaluates scores a test set whose last batch does not split
// among the groups.
func TestEngineEvaluates(t *testing.T) {
	src := withParallel(t, "{groups: 2, workers: 2, split: columns}")
	src = strings.Replace(src, "train: 64,", "train: 64, test: 13,", 1)
	_, job := trainer(t, src, 1, false)
	ref := train.Evaluate(job.Net, job.Context, job.Test, 4)
	tr, _ := trainer(t, src, 1, true)
	got := tr.Engine().Evaluate(job.Test, 4)
	if got.Samples != 13 || math.Abs(got.Loss-ref.Loss) > 1e-6*math.Abs(ref.Loss) ||
		got.Accuracy != ref.Accuracy {
		t.Errorf("evaluation %+v, on one device %+v", got, ref)
	}
}

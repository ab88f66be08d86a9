package partition

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/tensor"
)

func build(t *testing.T, s *spec.Spec, cfg Config) *Runner {
	t.Helper()
	r, err := Build(s, cfg, Options{Threads: cfg.Groups * cfg.Workers})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestMemoryOfOneWorker checks the device accounting of an uncut network
// against the whole network on one device: the parameters, their
// gradients and momentum, and the activations model.Net holds plus the
// mini-batch.
func TestMemoryOfOneWorker(t *testing.T) {
	s := parse(t, columnsNet)
	ref := newReference(t, s)
	r := build(t, s, Config{Groups: 1, Workers: 1})
	x, y := batch(1, 8, s.Model.Input, 8)
	ref.forwardBackward(x, y)
	if _, err := r.Step(x, y); err != nil {
		t.Fatal(err)
	}

	var params int64
	for _, p := range ref.g.Params() {
		params += p.Value.Bytes()
	}
	m := r.Stats()[0].Memory
	want := map[string]int64{
		"parameters": params, "gradients": params, "solver_state": params,
		"activations": ref.net.ActivationBytes() + x.Bytes() + y.Bytes(), "transfer": 0,
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s: %d bytes, want %d", k, m[k], v)
		}
	}
	if m["total"] != params*3+want["activations"] || m["peak"] < m["total"] {
		t.Errorf("total %d, peak %d", m["total"], m["peak"])
	}
}

// TestMemoryOfColumns checks that columns hold the whole network's
// parameters between them, and that the transfer buffers are accounted.
func TestMemoryOfColumns(t *testing.T) {
	s := parse(t, columnsNet)
	r := build(t, s, Config{Groups: 1, Workers: 2, Split: spec.SplitColumns})
	x, y := batch(1, 8, s.Model.Input, 8)
	if _, err := r.Step(x, y); err != nil {
		t.Fatal(err)
	}
	g, err := model.FromSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	var whole, sum int64
	for _, p := range g.Params() {
		whole += p.Value.Bytes()
	}
	for k, st := range r.Stats() {
		sum += st.Memory["parameters"]
		// Each receives activations and returns their gradients.
		if want := 2 * 8 * r.Plan().Partitions[k].TransferBytes; st.Memory["transfer"] < want {
			t.Errorf("worker %d accounts %d transfer bytes, want at least %d", k,
				st.Memory["transfer"], want)
		}
	}
	if sum != whole {
		t.Errorf("the columns hold %d parameter bytes, the whole network %d", sum, whole)
	}
}

// TestTransferBytesAreCounted checks the bytes the Transfer Layers report
// against the plan: every step, each carries its bytes per sample for
// every sample forward, and as much back.
func TestTransferBytesAreCounted(t *testing.T) {
	s := parse(t, columnsNet)
	const steps, n = 3, 8
	for _, groups := range []int{1, 2} {
		r := build(t, s, Config{Groups: groups, Workers: 2, Split: spec.SplitColumns})
		for i := range steps {
			x, y := batch(uint64(i), n, s.Model.Input, 8)
			if _, err := r.Step(x, y); err != nil {
				t.Fatal(err)
			}
		}
		var want, got int64
		for _, tr := range r.Plan().Transfers {
			want += steps * n * tr.Bytes * 2
		}
		for _, st := range r.Stats() {
			got += st.TransferBytes
			if st.Steps != steps || st.Forward <= 0 || st.Backward <= 0 {
				t.Errorf("worker %+v", st)
			}
			if (groups > 1) != (st.ExchangeBytes > 0) {
				t.Errorf("%d groups: worker %d/%d sent %d exchange bytes", groups, st.Group,
					st.Partition, st.ExchangeBytes)
			}
		}
		if got != want {
			t.Errorf("%d groups: transfers carried %d bytes, the plan says %d", groups, got,
				want)
		}
	}
}

// TestEvaluateMatchesTheWholeNetwork runs the forward pass of evaluation
// (dropout off) cut into columns and whole.
func TestEvaluateMatchesTheWholeNetwork(t *testing.T) {
	s := parse(t, columnsNet)
	ref := newReference(t, s)
	r := build(t, s, Config{Groups: 2, Workers: 2, Split: spec.SplitColumns})
	x, y := batch(5, 16, s.Model.Input, 8)
	loss, right, err := r.Evaluate(x, y)
	if err != nil {
		t.Fatal(err)
	}
	ref.ctx.Train = false
	want := ref.net.Forward(&ref.ctx, x, y)
	if loss != want || right != ref.net.Correct() {
		t.Errorf("loss sum %v, %d right; the whole network: %v, %d", loss, right, want,
			ref.net.Correct())
	}
	if r.StepCount() != 0 {
		t.Errorf("evaluation counted as step %d", r.StepCount())
	}
}

func TestStepRefusesBadBatches(t *testing.T) {
	s := parse(t, columnsNet)
	r := build(t, s, Config{Groups: 2, Workers: 1})
	x, y := batch(1, 8, s.Model.Input, 8)
	odd, oddY := batch(1, 7, s.Model.Input, 8)
	small, _ := batch(1, 8, tensor.Shape{3, 5, 5}, 8)
	for _, tc := range []struct {
		x, y *tensor.Tensor
		want string
	}{
		{odd, oddY, "a batch of 7 samples does not split into 2 equal shares"},
		{small, y, "a batch of shape 8x3x5x5"},
		{x, oddY, "with labels 7x1"},
	} {
		if _, err := r.Step(tc.x, tc.y); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want an error saying %q", err, tc.want)
		}
	}
	// The refusals did not break the run.
	if _, err := r.Step(x, y); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := r.Step(x, y); err == nil {
		t.Error("a closed runner stepped")
	}
}

// faulty fails in Backward at a given step, as a layer hitting a broken
// invariant would.
type faulty struct {
	layer.Layer
	at int64
}

func (f *faulty) Backward(ctx *layer.Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	if ctx.Step == f.at {
		panic("injected failure")
	}
	f.Layer.Backward(ctx, in, out, dOut, dIn)
}

// TestAFailingWorkerStopsTheRun injects a failure into one worker of one
// group: its peers in the group wait for its Transfer Layers and the
// other group waits for it in the exchange. The step must fail, naming the
// worker, instead of hanging, and the run must stay failed.
func TestAFailingWorkerStopsTheRun(t *testing.T) {
	s := parse(t, explicitNet)
	g, err := model.FromSpec(s)
	if err != nil {
		t.Fatal(err)
	}
	cfg := FromSpec(s)
	cfg.Groups = 2
	p, err := NewPlan(s, g, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// fc2 is on partition 1; partition 0 waits for its input gradient.
	// Only group 0's fails (groups are built in order), so that group 1
	// goes on to the exchange and waits there.
	for i := range p.nodes {
		if n := &p.nodes[i]; n.name == "fc2" {
			build, built := n.build, 0
			n.build = func() (layer.Layer, error) {
				l, err := build()
				built++
				if built > 1 {
					return l, err
				}
				return &faulty{Layer: l, at: 1}, err
			}
		}
	}
	g.Init(s.Seed)
	r, err := NewRunner(p, g, s.Seed, s.Solver, Options{Threads: 4, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	x, y := batch(1, 6, s.Model.Input, 5)
	if _, err := r.Step(x, y); err != nil {
		t.Fatalf("step 0: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := r.Step(x, y)
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the step hangs after a worker failed")
	}
	if err == nil || !strings.Contains(err.Error(), "group 0 worker 1") ||
		!strings.Contains(err.Error(), "injected failure") {
		t.Fatalf("got %v, want the failure of worker 1", err)
	}
	t.Logf("the step failed: %v", err)
	if _, again := r.Step(x, y); !errors.Is(again, err) && again.Error() != err.Error() {
		t.Errorf("the next step gave %v, want the same failure", again)
	}
}

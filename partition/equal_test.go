package partition

import (
	"fmt"
	"testing"

	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/spec"
)

// match trains the network of s for steps steps on one device and
// partitioned as cfg says, on the same mini-batches, and checks after every
// step that the loss, the class scores, every parameter's gradient and
// every weight agree within tol relative to the size of the tensor (0:
// bit for bit). It returns the largest error seen.
//
// With exactForward, the first forward pass must match bit for bit.
func match(t *testing.T, s *spec.Spec, cfg Config, steps int, tol float64,
	exactForward bool) float64 {
	t.Helper()
	ref := newReference(t, s)
	r, err := Build(s, cfg, Options{Threads: cfg.Groups * cfg.Workers})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := model.FromSpec(s)
	if err != nil {
		t.Fatal(err)
	}

	worst := 0.0
	check := func(step int, what string, a, b []float32) {
		t.Helper()
		if len(a) != len(b) {
			t.Fatalf("step %d: %s has %d values, want %d", step, what, len(a), len(b))
		}
		e := relErr(a, b)
		worst = max(worst, e)
		if e > tol {
			t.Errorf("step %d: %s differs by %.3g relative, want at most %.3g", step, what,
				e, tol)
		}
	}
	want, have := ref.g.Params(), got.Params()
	for step := range steps {
		x, y := batch(uint64(step+1), s.Train.Batch, s.Model.Input, s.Data.Classes())
		wantLoss := ref.forwardBackward(x, y)
		loss, err := r.Step(x, y)
		if err != nil {
			t.Fatal(err)
		}
		check(step, "loss", []float32{float32(loss)}, []float32{float32(wantLoss)})
		check(step, "logits", partLogits(r), ref.net.Logits().Data)
		if step == 0 && exactForward {
			// Before the first update the weights are equal, and the
			// forward pass computes with the same operands in the same
			// order.
			if e := relErr(partLogits(r), ref.net.Logits().Data); e != 0 || loss != wantLoss {
				t.Errorf("first forward pass: logits differ by %.3g, loss %v, want %v", e,
					loss, wantLoss)
			}
		}
		partGrads(t, r, got)
		for i, p := range want {
			check(step, p.Name+" gradient", have[i].Grad.Data, p.Grad.Data)
		}

		ref.update()
		if err := r.CopyParams(got); err != nil {
			t.Fatal(err)
		}
		for i, p := range want {
			check(step, p.Name, have[i].Value.Data, p.Value.Data)
		}
	}
	return worst
}

func TestColumnsComputeTheWholeNetwork(t *testing.T) {
	for _, tc := range []struct {
		workers int
		assign  map[string]int
	}{
		{2, nil},
		{4, nil},
		{2, map[string]int{"fc2": 1, "relu3": 0}},
	} {
		t.Run(fmt.Sprintf("%d columns %v", tc.workers, tc.assign), func(t *testing.T) {
			s := parse(t, columnsNet)
			worst := match(t, s, Config{Groups: 1, Workers: tc.workers,
				Split: spec.SplitColumns, Assign: tc.assign}, 3, 1e-6, true)
			t.Logf("largest relative error %.3g", worst)
		})
	}
}

func TestExplicitSplitIsBitIdentical(t *testing.T) {
	s := parse(t, explicitNet)
	if worst := match(t, s, FromSpec(s), 4, 0, true); worst != 0 {
		t.Errorf("largest relative error %.3g, want 0", worst)
	}
}

// TestGroupsComputeOneDevice checks that G worker groups, each taking its
// share of the mini-batch and exchanging gradients, train as one device
// with the whole mini-batch does.
func TestGroupsComputeOneDevice(t *testing.T) {
	for _, tc := range []struct {
		net             string
		groups, workers int
		split           spec.Split
	}{
		{columnsNet, 2, 1, spec.SplitNone},
		{columnsNet, 2, 2, spec.SplitColumns},
		{columnsNet, 4, 2, spec.SplitColumns},
		{explicitNet, 3, 2, spec.SplitExplicit},
	} {
		s := parse(t, tc.net)
		cfg := FromSpec(s)
		cfg.Groups, cfg.Workers, cfg.Split = tc.groups, tc.workers, tc.split
		t.Run(fmt.Sprintf("%s %dx%d", s.Name, tc.groups, tc.workers), func(t *testing.T) {
			worst := match(t, s, cfg, 3, 1e-5, false)
			t.Logf("largest relative error %.3g", worst)
		})
	}
}

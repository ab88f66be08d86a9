package dataparallel

import (
	"fmt"
	"math"
	"testing"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/train"
)

// TestDevicesEqualOneDevice trains 20 steps on one device and on 2 and 3
// in-process devices with the same global mini-batch; the weights must
// agree to 1e-5 relative (the sums of the per-sample gradients are grouped
// differently, so bits may differ).
func TestDevicesEqualOneDevice(t *testing.T) {
	for _, src := range []struct{ name, spec string }{{"nesterov", smallSpec},
		{"adagrad", adagradSpec}} {
		want := trainSingle(t, src.spec, 20)
		for _, n := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/devices=%d", src.name, n), func(t *testing.T) {
				g := trainLocal(t, src.spec, n, Config{segmentMin: 1}, 20)
				if d, where := relDiff(t, g.Params(), want); d > 1e-5 {
					t.Errorf("%s differs from one device by %.3g relative", where, d)
				}
			})
		}
	}
}

// TestAlgorithmsAgreeBitForBit trains with every exchange algorithm in
// ordered mode and with both solver-state modes; all must end with the
// same bits.
func TestAlgorithmsAgreeBitForBit(t *testing.T) {
	want := trainLocal(t, smallSpec, 3, Config{Algorithm: exchange.Central}, 20).Params()
	for _, alg := range []string{exchange.Chain, exchange.Ring, exchange.Tree} {
		for _, state := range []StateMode{OwnerState, ReplicatedState} {
			t.Run(alg+"/"+string(state), func(t *testing.T) {
				g := trainLocal(t, smallSpec, 3, Config{Algorithm: alg, Ordered: true,
					State: state, segmentMin: 1}, 20)
				sameBits(t, g.Params(), want)
			})
		}
	}
}

// TestDevicesReportOneDeviceLoss checks the statistics that travel with the
// gradients: each step's mean loss on 2 and 3 in-process devices, which
// share their parameter buffer and so read the sums from it (Note [Shared
// parameters]), equals one device's.
func TestDevicesReportOneDeviceLoss(t *testing.T) {
	const steps = 8
	job := buildJob(t, smallSpec)
	one, err := train.New(train.Config{Steps: steps}, job.Net, job.Solver, job.Batches(), nil,
		job.Context, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []float64
	for range steps {
		_, loss, err := one.StepOnce()
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, loss)
	}

	for _, n := range []int{2, 3} {
		job := buildJob(t, smallSpec)
		g, err := NewLocal(job, cpus(t, n), Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer g.Close()
		if &g.local[0].value[0] != &g.local[n-1].value[0] {
			t.Errorf("devices=%d: the members keep parameter buffers of their own", n)
		}
		tr, err := train.NewWithEngine(train.Config{Steps: steps}, g, job.Batches(), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			_, loss, err := tr.StepOnce()
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(loss-w) > 1e-5*math.Abs(w) {
				t.Errorf("devices=%d, step %d: loss %v, one device %v", n, i, loss, w)
			}
		}
	}
}

// TestClosedGroupLeavesTheJobTrainable checks that a group hands the job's
// network back as it found it: its fully connected layers compute their
// weight gradients again once the group is closed.
func TestClosedGroupLeavesTheJobTrainable(t *testing.T) {
	job := buildJob(t, adagradSpec)
	g, err := NewLocal(job, cpus(t, 2), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	w := job.Net.Params()[0]
	clear(w.Grad.Data)
	tr, err := train.New(train.Config{Steps: 1}, job.Net, job.Solver, job.Batches(), nil,
		job.Context, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tr.StepOnce(); err != nil {
		t.Fatal(err)
	}
	for _, v := range w.Grad.Data {
		if v != 0 {
			return
		}
	}
	t.Errorf("%s has no gradient after a step on one device", w.Name)
}

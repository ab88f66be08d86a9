package dataparallel

import (
	"math"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

// fakeCost is a network of two segments: a step of 100 ms on one device.
var fakeCost = Cost{
	Batch: 256, Forward: 30 * time.Millisecond, Backward: 60 * time.Millisecond,
	Update: 10 * time.Millisecond, Values: 3_000_000,
	Segments: []SegmentCost{
		{Layers: "fc2", Values: 1_000_000, Ready: 0.2},
		{Layers: "fc1", Values: 2_000_000, Ready: 1},
	},
}

func TestPredictIsBoundedAndConsistent(t *testing.T) {
	one, err := Predict(fakeCost, exchange.NewTopology(1, exchange.InProcessLink, true),
		Config{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if absDiff(one.Step, fakeCost.Step()) > time.Microsecond || math.Abs(one.Speedup-1) > 1e-9 {
		t.Errorf("one member: step %v speed-up %v, want %v and 1", one.Step, one.Speedup,
			fakeCost.Step())
	}

	slow := exchange.Link{Latency: 1e-3, Bandwidth: 1e8}
	for _, n := range []int{2, 4, 8} {
		fast, err := Predict(fakeCost, exchange.NewTopology(n, exchange.InProcessLink, true),
			Config{}, false)
		if err != nil {
			t.Fatal(err)
		}
		if fast.Speedup > float64(n) || fast.Speedup <= 1 {
			t.Errorf("%d members: speed-up %.2f", n, fast.Speedup)
		}

		// The serial model adds every exchange to the compute.
		if want := fast.Compute + fast.Exchange; absDiff(fast.Step, want) > time.Microsecond {
			t.Errorf("%d members: step %v, want compute + exchange %v", n, fast.Step, want)
		}
		// Devices of one process share their parameters: a segment costs
		// its reduce-scatter and its owner updates; processes on the same
		// links gather too.
		apart, err := Predict(fakeCost, exchange.NewTopology(n, exchange.InProcessLink, false),
			Config{}, false)
		if err != nil {
			t.Fatal(err)
		}
		var sum, sumApart time.Duration
		for _, s := range fakeCost.Segments {
			reduce, gather, err := exchange.PredictPhases(
				exchange.Config{Algorithm: exchange.Chain},
				exchange.NewTopology(n, exchange.InProcessLink, true), 4*int64(s.Values))
			if err != nil {
				t.Fatal(err)
			}
			update := time.Duration(float64(fakeCost.Update) * float64(s.Values) /
				float64(fakeCost.Values) / float64(n))
			sum += reduce + update
			sumApart += reduce + gather + update
		}
		if absDiff(sum, fast.Exchange) > time.Microsecond {
			t.Errorf("%d members: exchange %v, want the segments' %v", n, fast.Exchange, sum)
		}
		if absDiff(sumApart, apart.Exchange) > time.Microsecond {
			t.Errorf("%d processes: exchange %v, want the segments' %v", n, apart.Exchange,
				sumApart)
		}

		// Overlap can only help, and a slower link only hurt.
		over, _ := Predict(fakeCost, exchange.NewTopology(n, slow, false), Config{}, true)
		serial, _ := Predict(fakeCost, exchange.NewTopology(n, slow, false), Config{}, false)
		if over.Step > serial.Step || serial.Speedup >= fast.Speedup {
			t.Errorf("%d members: overlapped %v, serial %v, fast link %v", n, over.Step,
				serial.Step, fast.Step)
		}
		if over.Step < over.Compute {
			t.Errorf("%d members: step %v shorter than the compute %v", n, over.Step,
				over.Compute)
		}
	}
}

// TestPredictTakesTheMeasuredShare checks that a member's compute is the
// passes measured over its share where there is a measurement, and the
// one-device passes over n elsewhere.
func TestPredictTakesTheMeasuredShare(t *testing.T) {
	c := fakeCost
	c.Shares = map[int]Passes{2: {Forward: 20 * time.Millisecond, Backward: 40 * time.Millisecond}}
	for n, want := range map[int]time.Duration{
		2: 60 * time.Millisecond,
		4: (c.Forward + c.Backward) / 4,
	} {
		sc, err := Predict(c, exchange.NewTopology(n, exchange.InProcessLink, true), Config{},
			false)
		if err != nil {
			t.Fatal(err)
		}
		if absDiff(sc.Compute, want) > time.Microsecond {
			t.Errorf("%d members: compute %v, want %v", n, sc.Compute, want)
		}
	}
}

func absDiff(a, b time.Duration) time.Duration {
	if a > b {
		return a - b
	}
	return b - a
}

// TestMeasureCostMeasuresEverySegment measures a real network briefly and
// checks that the figures are complete and ordered.
func TestMeasureCostMeasuresEverySegment(t *testing.T) {
	job := buildJob(t, adagradSpec)
	c, err := MeasureCost(job, 1, 2, 1, 2, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Shares) != 2 {
		t.Errorf("shares measured for %d group sizes, want 2 (2 and 3)", len(c.Shares))
	}
	for _, m := range []int{2, 3} {
		if p := c.Shares[m]; p.Forward <= 0 || p.Backward <= 0 {
			t.Errorf("share of a group of %d: %+v", m, p)
		}
	}
	if c.Forward <= 0 || c.Backward <= 0 || c.Update <= 0 || len(c.Segments) == 0 {
		t.Fatalf("cost %+v", c)
	}
	prev := 0.0
	for _, s := range c.Segments {
		if s.Ready < prev || s.Ready > 1.0001 {
			t.Errorf("segment %s ready at %.3f of the backward pass, after %.3f", s.Layers,
				s.Ready, prev)
		}
		prev = s.Ready
	}
}

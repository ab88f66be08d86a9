package dataparallel

import (
	"slices"
	"testing"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/tensor"
)

// TestLayoutFollowsTheBackwardPass checks the flat layout: statistics
// first, then the parameters of the last layer to the first, each
// parameter contiguous, small layers sharing a segment with the layer
// below, and every node with parameters completing at most one segment.
func TestLayoutFollowsTheBackwardPass(t *testing.T) {
	job := buildJob(t, smallSpec)
	params := job.Graph.Params()
	for _, minValues := range []int{1, 100, 1 << 20} {
		lay := newLayout(job.Graph, minValues, false)
		if lay.segments[0].lo != 0 || lay.segments[len(lay.segments)-1].hi != lay.size {
			t.Fatalf("min %d: segments %+v do not cover [0, %d)", minValues, lay.segments,
				lay.size)
		}
		for s := 1; s < len(lay.segments); s++ {
			if lay.segments[s].lo != lay.segments[s-1].hi {
				t.Fatalf("min %d: segments %+v are not contiguous", minValues, lay.segments)
			}
		}
		total := statsLen
		for _, p := range params {
			total += len(p.Value.Data)
		}
		if lay.size != total || lay.params != total-statsLen {
			t.Errorf("min %d: size %d, want %d", minValues, lay.size, total)
		}

		// Later layers come first: offsets fall with the parameter index,
		// layer by layer.
		if last := len(params) - 1; lay.offset[last-1] != statsLen {
			t.Errorf("min %d: the last layer's weight starts at %d, want %d", minValues,
				lay.offset[last-1], statsLen)
		}
		if lay.offset[0] <= lay.offset[len(params)-1] {
			t.Errorf("min %d: the first layer does not come last: offsets %v", minValues,
				lay.offset)
		}
		for s, seg := range lay.segments {
			if lay.segOf[seg.node] != s {
				t.Errorf("min %d: segment %d (%s) is not completed by its node", minValues, s,
					seg.name)
			}
			if s < len(lay.segments)-1 && seg.hi-seg.lo < minValues {
				t.Errorf("min %d: segment %s holds %d values", minValues, seg.name,
					seg.hi-seg.lo)
			}
		}
	}
	if n := len(newLayout(job.Graph, 1, false).segments); n != 3 {
		t.Errorf("one segment per layer gives %d segments, want 3", n)
	}
	if n := len(newLayout(job.Graph, 1<<20, false).segments); n != 1 {
		t.Errorf("a large minimum gives %d segments, want 1", n)
	}
}

func TestShareCutsTheBatch(t *testing.T) {
	for _, tc := range []struct{ size, n int }{{2, 128}, {3, 128}, {3, 7}, {4, 4}} {
		next := 0
		for r := range tc.size {
			lo, hi := share(r, tc.size, tc.n)
			if lo != next || hi-lo < tc.n/tc.size || hi-lo > tc.n/tc.size+1 {
				t.Fatalf("%d replicas, batch %d: rank %d gets [%d, %d)", tc.size, tc.n, r, lo, hi)
			}
			next = hi
		}
		if next != tc.n {
			t.Errorf("%d replicas, batch %d: shares end at %d", tc.size, tc.n, next)
		}
	}

	src := tensor.New(6, 2, 3)
	for i := range src.Data {
		src.Data[i] = float32(i)
	}
	var dst tensor.Tensor
	viewRows(&dst, src, 2, 5)
	if !dst.Shape.Equal(tensor.Shape{3, 2, 3}) || dst.Data[0] != 12 || len(dst.Data) != 18 {
		t.Errorf("rows 2-5 of a 6x2x3 tensor: shape %v, first %v, %d values", dst.Shape,
			dst.Data[0], len(dst.Data))
	}
}

func TestTopologyFollowsHosts(t *testing.T) {
	topo, err := TopologyOf([]string{"a:1", "b:1", "a:2", "b:2"}, exchange.Link{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 2, 1, 3}; !slices.Equal(topo.Order, want) {
		t.Errorf("order %v, want %v: members of a host next to each other", topo.Order, want)
	}
	if topo.Hosts() != 2 || topo.Remote != NetworkLink || topo.Local != exchange.LoopbackLink {
		t.Errorf("topology %+v", topo)
	}
	one, err := TopologyOf([]string{"127.0.0.1:1", "127.0.0.1:2"}, exchange.Link{})
	if err != nil || one.Hosts() != 1 || one.InProcess {
		t.Errorf("two processes of one host: %+v, %v", one, err)
	}
	if _, err := TopologyOf([]string{"nohost"}, exchange.Link{}); err == nil {
		t.Error("an address without a port was accepted")
	}
}

// TestStepDoesNotAllocate checks that a data-parallel step, once warm,
// allocates nothing on any goroutine.
func TestStepDoesNotAllocate(t *testing.T) {
	job := buildJob(t, adagradSpec)
	g, err := NewLocal(job, cpus(t, 2), Config{segmentMin: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	var x, y tensor.Tensor
	step := int64(0)
	run := func() {
		job.Loader.Next(&x, &y)
		if _, err := g.Step(step, &x, &y, false); err != nil {
			t.Fatal(err)
		}
		step++
	}
	for range 3 {
		run()
	}
	if a := testing.AllocsPerRun(20, run); a > 0 {
		t.Errorf("a step allocates %.1f times", a)
	}
}

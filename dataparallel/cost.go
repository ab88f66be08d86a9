package dataparallel

import (
	"fmt"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/tensor"
	"github.com/mariana-dl/mariana/train"
)

// Note [Scaling model]
//
// A step on n members of a global mini-batch of B samples costs
//
//	forward(B/n) + backward(B/n)      compute, linear in the samples
//	+ for each segment s, in order:
//	    exchange(s) = Predict(plan of s on the topology)
//	                + update(s) / n    each owner updates 1/n of s
//
// where forward, backward and the update of every parameter are measured
// on one device (MeasureCost) and Predict is the exchange package's
// latency-bandwidth model on the topology's fitted links. Whether the
// exchange hides behind the backward pass depends on the hardware:
//
//   - CPU devices of one machine (and processes on one host) move data
//     with the cores that compute: an in-process exchange is the receiving
//     device adding or copying its peer's memory, and loopback TCP is the
//     kernel copying. Nothing overlaps, so the exchange adds to the step.
//   - Hosts on a network (and GPUs with copy engines) transfer while the
//     cores compute: segment s can start when the backward pass has made
//     it final (at the measured fraction Ready of the backward pass) and
//     the previous segment is done, and the step ends when the backward
//     pass and the last exchange have. Only the additions and the owner
//     update, which the model counts in the link and in update(s), use
//     the cores.
//
// The speed-up is the one-device step, forward(B) + backward(B) +
// update(all), over the predicted step. Compute that scales linearly in
// the samples is the model's main optimism: a device's matrix products run
// a little slower on fewer samples.

// Cost is what one step of a network costs on one device, measured there.
type Cost struct {
	// Batch is the global mini-batch.
	Batch int

	// Forward and Backward are the passes over the whole mini-batch, and
	// Update the solver's update of every parameter.
	Forward, Backward, Update time.Duration

	// Values is the number of values exchanged (parameters and the step's
	// statistics).
	Values int

	// Segments are the exchange's segments in order.
	Segments []SegmentCost
}

// SegmentCost is one segment of the exchange.
type SegmentCost struct {
	Layers string
	Values int

	// Ready is the fraction of the backward pass done when the segment's
	// gradients are final.
	Ready float64
}

// MeasureCost trains job's network on its own device (job.Net with
// job.Context) for warmup steps and then times steps more, returning the
// mean cost of a step. It trains job's network: use a job built for
// measuring.
func MeasureCost(job *train.Job, warmup, steps int) (Cost, error) {
	if steps < 1 {
		return Cost{}, fmt.Errorf("%w: measure %d steps", ErrConfig, steps)
	}
	lay := newLayout(job.Graph, 0)
	params := job.Net.Params()
	if err := job.Solver.Prepare(params); err != nil {
		return Cost{}, fmt.Errorf("dataparallel: %w", err)
	}
	c := Cost{Batch: job.Spec.Train.Batch, Values: lay.size}
	for _, s := range lay.segments {
		c.Segments = append(c.Segments, SegmentCost{Layers: s.name, Values: s.hi - s.lo})
	}

	var x, y tensor.Tensor
	ctx := job.Context
	ctx.Train = true
	readyAt := make([]time.Duration, len(lay.segments))
	var backStart time.Time
	done := func(node int) {
		if s := lay.segOf[node]; s >= 0 {
			readyAt[s] += time.Since(backStart)
		}
	}

	for i := range warmup + steps {
		job.Loader.Next(&x, &y)
		n := x.Batch()
		ctx.Step = int64(i)

		t0 := time.Now()
		job.Net.Forward(&ctx, &x, &y)
		t1 := time.Now()
		backStart = t1
		if i < warmup {
			job.Net.Backward(&ctx, 1/float32(n))
		} else {
			job.Net.BackwardNotify(&ctx, 1/float32(n), done)
		}
		t2 := time.Now()
		job.Solver.Update(int64(i), params)
		t3 := time.Now()
		if i >= warmup {
			c.Forward += t1.Sub(t0)
			c.Backward += t2.Sub(t1)
			c.Update += t3.Sub(t2)
		}
	}
	c.Forward /= time.Duration(steps)
	c.Backward /= time.Duration(steps)
	c.Update /= time.Duration(steps)
	for s := range c.Segments {
		c.Segments[s].Ready = readyAt[s].Seconds() / float64(steps) / c.Backward.Seconds()
	}
	return c, nil
}

// Step is the one-device step the cost describes.
func (c Cost) Step() time.Duration { return c.Forward + c.Backward + c.Update }

// Scaling is the model's prediction for a group.
type Scaling struct {
	Members int

	// Compute is a member's forward and backward passes; Exchange the
	// time of all the segments' exchanges with their owner updates;
	// Exposed the part of the step they add beyond the compute.
	Compute, Exchange, Exposed time.Duration

	// Step is the predicted step, Speedup the one-device step over it,
	// and Efficiency Speedup over Members.
	Step                time.Duration
	Speedup, Efficiency float64

	// Algorithms are the planner's choices, by segment.
	Algorithms []string
}

// Predict returns the predicted step of the network c describes on the
// group topo describes, with cfg's algorithm (or the planner's per
// segment). overlap says that the exchange can run while the members
// compute (Note [Scaling model]).
func Predict(c Cost, topo exchange.Topology, cfg Config, overlap bool) (Scaling, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Scaling{}, err
	}
	n := topo.Size()
	want := exchange.Config{Ordered: cfg.Ordered}
	if cfg.Algorithm != Auto {
		want.Algorithm = cfg.Algorithm
	}

	share := func(d time.Duration) float64 { return d.Seconds() / float64(n) }
	fwd, bwd := share(c.Forward), share(c.Backward)
	sc := Scaling{Members: n, Compute: seconds(fwd + bwd)}
	var xchg, end float64
	end = fwd
	for _, s := range c.Segments {
		p, err := exchange.Choose(topo, 4*int64(s.Values), want)
		if err != nil {
			return Scaling{}, fmt.Errorf("dataparallel: predict %s: %w", s.Layers, err)
		}
		sc.Algorithms = append(sc.Algorithms, p.Config.Algorithm)
		e := p.Predicted.Seconds() +
			c.Update.Seconds()*float64(s.Values)/float64(c.Values)/float64(n)
		xchg += e
		end = max(end, fwd+s.Ready*bwd) + e
	}
	sc.Exchange = seconds(xchg)

	step := fwd + bwd + xchg
	if overlap {
		step = max(fwd+bwd, end)
	}
	sc.Step = seconds(step)
	sc.Exposed = seconds(step - fwd - bwd)
	sc.Speedup = c.Step().Seconds() / step
	sc.Efficiency = sc.Speedup / float64(n)
	return sc, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * 1e9) }

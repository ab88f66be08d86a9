package dataparallel

import (
	"fmt"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
	"github.com/mariana-dl/mariana/train"
)

// Note [Scaling model]
//
// A step on n members of a global mini-batch of B samples costs
//
//	forward(B/n) + backward(B/n)      a member's compute
//	+ for each segment s, in order:
//	    exchange(s) = Predict(plan of s on the topology)
//	                + update(s) / n    each owner updates 1/n of s
//
// where forward, backward and the update of every parameter are measured
// on one device (MeasureCost) and Predict is the exchange package's
// latency-bandwidth model on the topology's fitted links; devices of one
// process pay the reduce-scatter only (Note [Shared parameters]). It
// prices the weights such devices compute from factors (Note [Sufficient
// factors]) as a reduce-scatter too, which bounds what their barrier and
// products add from above. The passes over
// a member's share are measured on the share itself when MeasureCost was
// asked for that group size, because a device's matrix products run
// slower per sample on fewer samples (on the 2-core machine the MLP's
// passes take 8% longer per sample at 64 than at 128), and only
// otherwise taken as the one-device passes over n. Whether the exchange
// hides behind the backward pass depends on the hardware:
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
// update(all), over the predicted step. The model's remaining optimism is
// that devices sharing a machine do not slow each other down: on the
// 2-core machine two one-core runs at a batch of 64 side by side each
// reach 91.5% of one alone, which no measurement on one device sees.

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

	// Shares are the passes over one member's share of the mini-batch, by
	// the size of the group, for the sizes MeasureCost was asked for.
	Shares map[int]Passes
}

// Passes are the forward and backward passes over some samples.
type Passes struct {
	Forward, Backward time.Duration
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
// mean cost of a step. For each group size in members above 1 it also
// times the passes over the largest member's share of each mini-batch
// (Cost.Shares). It trains job's network: use a job built for measuring.
func MeasureCost(job *train.Job, warmup, steps int, members ...int) (Cost, error) {
	if steps < 1 {
		return Cost{}, fmt.Errorf("%w: measure %d steps", ErrConfig, steps)
	}
	lay := newLayout(job.Graph, 0, false)
	params := job.Net.Params()
	if err := job.Solver.Prepare(params); err != nil {
		return Cost{}, fmt.Errorf("dataparallel: %w", err)
	}
	c := Cost{Batch: job.Spec.Train.Batch, Values: lay.size, Shares: map[int]Passes{}}
	for _, s := range lay.segments {
		c.Segments = append(c.Segments, SegmentCost{Layers: s.name, Values: s.hi - s.lo})
	}

	var x, y tensor.Tensor
	ctx := job.Context
	ctx.Train = true
	readyAt := make([]time.Duration, len(lay.segments))
	stepReady := make([]time.Time, len(lay.segments))
	done := func(node int) {
		if s := lay.segOf[node]; s >= 0 {
			stepReady[s] = time.Now()
		}
	}

	for i := range warmup + steps {
		job.Loader.Next(&x, &y)
		ctx.Step = int64(i)
		back, fwd, bwd := timePasses(job, &ctx, &x, &y, 1/float32(x.Batch()), done)
		t := time.Now()
		job.Solver.Update(int64(i), params)
		if i < warmup {
			continue
		}
		c.Forward += fwd
		c.Backward += bwd
		c.Update += time.Since(t)
		for s, at := range stepReady {
			if !at.IsZero() {
				readyAt[s] += at.Sub(back)
			}
		}
	}
	c.Forward /= time.Duration(steps)
	c.Backward /= time.Duration(steps)
	c.Update /= time.Duration(steps)
	for s := range c.Segments {
		c.Segments[s].Ready = readyAt[s].Seconds() / float64(steps) / c.Backward.Seconds()
	}

	for _, m := range members {
		if _, ok := c.Shares[m]; ok || m < 2 {
			continue
		}
		c.Shares[m] = measureShare(job, &ctx, &x, &y, m, warmup, steps)
	}
	return c, nil
}

// measureShare times the passes over the first member's share of each
// mini-batch in a group of m members (the largest share, see share).
func measureShare(job *train.Job, ctx *layer.Context, x, y *tensor.Tensor, m, warmup,
	steps int) Passes {
	var p Passes
	for i := range warmup + steps {
		job.Loader.Next(x, y)
		n := x.Batch()
		_, hi := share(0, m, n)
		ctx.Step = int64(i)
		_, fwd, bwd := timePasses(job, ctx, x.Rows(0, hi), y.Rows(0, hi), 1/float32(n), nil)
		if i >= warmup {
			p.Forward += fwd
			p.Backward += bwd
		}
	}
	p.Forward /= time.Duration(steps)
	p.Backward /= time.Duration(steps)
	return p
}

// timePasses runs a forward and a backward pass of job's network on x and
// y, each sample's loss weighted by scale and done called as
// model.Net.BackwardNotify calls it, and returns when the backward pass
// started and how long each pass took.
func timePasses(job *train.Job, ctx *layer.Context, x, y *tensor.Tensor, scale float32,
	done func(node int)) (back time.Time, fwd, bwd time.Duration) {
	t0 := time.Now()
	job.Net.Forward(ctx, x, y)
	back = time.Now()
	job.Net.BackwardNotify(ctx, scale, done)
	return back, back.Sub(t0), time.Since(back)
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

	fwd, bwd := c.Forward.Seconds()/float64(n), c.Backward.Seconds()/float64(n)
	if p, ok := c.Shares[n]; ok {
		fwd, bwd = p.Forward.Seconds(), p.Backward.Seconds()
	}
	sc := Scaling{Members: n, Compute: seconds(fwd + bwd)}
	var xchg, end float64
	end = fwd
	for _, s := range c.Segments {
		p, err := exchange.Choose(topo, 4*int64(s.Values), want)
		if err != nil {
			return Scaling{}, fmt.Errorf("dataparallel: predict %s: %w", s.Layers, err)
		}
		sc.Algorithms = append(sc.Algorithms, p.Config.Algorithm)
		e := p.Predicted.Seconds()
		if topo.InProcess {
			// Devices of one process share their parameters and skip
			// the all-gather (Note [Shared parameters]).
			reduce, _, err := exchange.PredictPhases(p.Config, topo, 4*int64(s.Values))
			if err != nil {
				return Scaling{}, fmt.Errorf("dataparallel: predict %s: %w", s.Layers, err)
			}
			e = reduce.Seconds()
		}
		e += c.Update.Seconds() * float64(s.Values) / float64(c.Values) / float64(n)
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

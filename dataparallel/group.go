package dataparallel

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/device"
	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/tensor"
	"github.com/mariana-dl/mariana/train"
)

// Group is the members of a data-parallel group that live in this process:
// every member of an in-process group ([NewLocal]), or this process's one
// member of a group of processes ([NewProcess]). It implements
// [train.Engine]: a Trainer drives it step by step with the global
// mini-batch, and each member trains its share on its own goroutine,
// attached to its device.
//
// A Group is not safe for concurrent use. Close it when done.
type Group struct {
	cfg   Config
	size  int // members of the whole group
	local []*member
	plan  Plan
	topo  exchange.Topology

	cmds    []chan command
	replies chan reply
	out     []reply // the replies of the last command, reused
	errs    []error
	closer  func() error // closes the transport(s)
	closed  bool
	broken  error // the failure that ended the group
	threads int   // of the local devices together, for data loading

	// shared is the parameter buffer of an in-process group's members
	// (Note [Shared parameters]), or nil.
	shared []float32
}

// command is work for a member's goroutine.
type command struct {
	op    op
	step  int64
	scale float32
	vote  bool
	ckpt  *checkpoint.Checkpoint
}

type op int

const (
	opTrain op = iota
	opEval
	opGather
	opRestore
	opClose
)

// reply is a member's answer to a command.
type reply struct {
	index   int // of the member in Group.local
	stats   [statsLen]float32
	loss    float64
	correct int
	err     error
}

// NewLocal builds an in-process group with one replica on each device,
// linked by an in-process exchange group. The job's network becomes the
// replica of device 0; the others are built from the job's spec and seed,
// so every replica starts with the same weights. The caller keeps the
// devices, and closes them after the group.
func NewLocal(job *train.Job, devs []device.Device, cfg Config) (*Group, error) {
	if len(devs) < 1 {
		return nil, fmt.Errorf("%w: no devices", ErrConfig)
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	lg, err := exchange.NewLocalGroup(len(devs), c.Timeout)
	if err != nil {
		return nil, fmt.Errorf("dataparallel: %w", err)
	}
	ts := make([]exchange.Transport, len(devs))
	for r := range ts {
		ts[r] = lg.Member(r)
	}
	topo := exchange.NewTopology(len(devs), exchange.InProcessLink, true)
	g, err := newGroup(job, devs, ts, topo, c, lg.Close)
	if err != nil {
		lg.Close()
		return nil, err
	}
	return g, nil
}

// NewProcess builds this process's member of a group of processes: one
// replica on dev, joined to the others by t (see [Connect]), whose links
// topo describes. Every process of the group must build its member from
// the same spec and Config. The Group closes t when it is closed.
func NewProcess(job *train.Job, dev device.Device, t exchange.Transport,
	topo exchange.Topology, cfg Config) (*Group, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return newGroup(job, []device.Device{dev}, []exchange.Transport{t}, topo, c, t.Close)
}

func newGroup(job *train.Job, devs []device.Device, ts []exchange.Transport,
	topo exchange.Topology, cfg Config, closer func() error) (*Group, error) {
	size := ts[0].Size()
	// Devices of one process share their parameters and, with the
	// solver's history kept by the owners, compute the weight gradients
	// of factored layers from each other's factors.
	inProcess := len(devs) == size && size > 1
	factors := inProcess && cfg.State == OwnerState
	lay := newLayout(job.Graph, cfg.segmentMin, factors)
	p, err := plan(topo, lay, cfg)
	if err != nil {
		return nil, err
	}
	kind, err := stateKind(job.Solver.Config())
	if err != nil {
		return nil, fmt.Errorf("dataparallel: %w", err)
	}

	g := &Group{cfg: cfg, size: size, plan: p, topo: topo, closer: closer,
		replies: make(chan reply, len(devs)), out: make([]reply, len(devs))}
	if inProcess {
		g.shared = make([]float32, lay.size)
	}
	for i, dev := range devs {
		graph, net := job.Graph, job.Net
		if i > 0 {
			if graph, err = model.FromSpec(job.Spec); err != nil {
				g.closeMembers()
				return nil, err
			}
			graph.Init(job.Spec.Seed)
			net = model.NewNet(graph)
		}
		m, err := newMember(dev, graph, net, memberSpec{
			lay: lay, plan: p, solver: job.Solver.Config(), kind: kind, cfg: cfg,
			exchange: ts[i], value: g.shared, first: i == 0,
		})
		if err != nil {
			g.closeMembers()
			return nil, fmt.Errorf("dataparallel: %s: %w", dev.Name(), err)
		}
		g.local = append(g.local, m)
		g.threads += m.ctx.Threads
	}
	if factors {
		for _, m := range g.local {
			m.peers = g.local
		}
	}

	ready := make(chan error, len(g.local))
	for i, m := range g.local {
		cmds := make(chan command, 1)
		g.cmds = append(g.cmds, cmds)
		go g.serve(i, m, cmds, ready)
	}
	var errs []error
	for range g.local {
		errs = append(errs, <-ready)
	}
	if err := errors.Join(errs...); err != nil {
		g.Close()
		return nil, err
	}
	return g, nil
}

// serve is a member's goroutine: it attaches to the device and runs
// commands until opClose.
//
// TODO: only this goroutine is attached. The exchange runs on goroutines
// the exchange package starts (the queue's, the collectives'), which no
// device can pin, so on a pinned CPU device an exchange thread may take
// the device's core while another core idles; unpinned devices measured
// faster for small networks, pinned ones for large. Attaching the
// exchange's goroutines to the device needs the exchange to run on
// goroutines its caller starts.
func (g *Group) serve(i int, m *member, cmds <-chan command, ready chan<- error) {
	detach, err := m.dev.Attach()
	ready <- err
	if err != nil {
		// Answer every command, so that the group never waits on us.
		for c := range cmds {
			if c.op == opClose {
				m.close()
				m.release()
			}
			g.replies <- reply{index: i, err: err}
			if c.op == opClose {
				return
			}
		}
		return
	}
	defer detach()

	for c := range cmds {
		r := reply{index: i}
		switch c.op {
		case opTrain:
			r.stats, r.err = m.trainStep(c.step, c.scale, c.vote)
		case opEval:
			r.loss, r.correct = m.evaluate()
		case opGather:
			r.err = m.gatherState()
		case opRestore:
			// Members that share their parameters load them once.
			r.err = m.restore(c.ckpt, !m.shared || i == 0)
		case opClose:
			// Released before the reply: once Close returns, the caller
			// may read the parameters, which then live on the heap.
			r.err = m.close()
			m.release()
			m.restoreLayers()
		}
		if r.err != nil {
			r.err = fmt.Errorf("%s (rank %d): %w", m.dev.Name(), m.rank, r.err)
		}
		g.replies <- r
		if c.op == opClose {
			return
		}
	}
}

// run hands c to the members listed (all when which is nil) and collects
// their replies, in member order; err is the group's failure. Once one
// member fails, the others get the group's timeout to answer: a member
// stuck in its computation never will, and the group must not wait for it.
// A failed group stays failed.
func (g *Group) run(c command, which []bool) ([]reply, error) {
	if g.broken != nil {
		return nil, g.broken
	}
	if g.closed {
		return nil, ErrClosed
	}
	n := 0
	for i := range g.local {
		if which == nil || which[i] {
			g.cmds[i] <- c
			n++
		}
	}
	out, errs := g.out[:len(g.local)], g.errs[:0]
	clear(out)
	defer func() { g.errs = errs[:0] }()
	var grace <-chan time.Time
	for range n {
		var r reply
		select {
		case r = <-g.replies:
		case <-grace:
			g.broken = firstError(errs)
			return out, g.broken
		}
		out[r.index] = r
		if r.err != nil {
			errs = append(errs, r.err)
			if grace == nil {
				grace = time.After(g.cfg.Timeout)
			}
		}
	}
	if len(errs) > 0 && c.op != opClose {
		g.broken = firstError(errs)
		return out, g.broken
	}
	return out, firstError(errs)
}

// firstError reports one error for a failed group: the first member's
// that is not merely the consequence of another member's failure.
func firstError(errs []error) error {
	for _, err := range errs {
		if !errors.Is(err, exchange.ErrAborted) && !errors.Is(err, exchange.ErrClosed) {
			return err
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// Plan returns the exchange plan, for the log.
func (g *Group) Plan() Plan { return g.plan }

// Size returns the number of members of the whole group.
func (g *Group) Size() int { return g.size }

// Devices returns the devices of this process's members.
func (g *Group) Devices() []device.Device {
	ds := make([]device.Device, len(g.local))
	for i, m := range g.local {
		ds[i] = m.dev
	}
	return ds
}

// Params implements [train.Engine]: the parameters of this process's first
// replica, which equal every other replica's between steps.
func (g *Group) Params() []*layer.Param { return g.local[0].params }

// Leader implements [train.Engine]: the process that holds rank 0.
func (g *Group) Leader() bool { return g.local[0].rank == 0 }

// LR implements [train.Engine].
func (g *Group) LR(step int64) float32 { return g.local[0].solver.LR(step) }

// share returns the samples [lo, hi) of a mini-batch of n that rank
// trains on: equal shares, the first ranks one more when n does not split
// evenly.
func share(rank, size, n int) (lo, hi int) {
	base, extra := n/size, n%size
	lo = rank*base + min(rank, extra)
	hi = lo + base
	if rank < extra {
		hi++
	}
	return lo, hi
}

// Step implements [train.Engine]: each local member trains its share of
// the mini-batch, the exchange sums the gradients and the losses and
// updates the model on every replica. An in-process group stops at once
// when asked to; a member of a group of processes trains the step and
// votes, so that every process stops after the same step.
func (g *Group) Step(step int64, x, labels *tensor.Tensor, stop bool) (train.StepResult, error) {
	if stop && len(g.local) == g.size {
		return train.StepResult{Stop: true}, nil
	}
	n := x.Batch()
	if n < g.size {
		return train.StepResult{}, fmt.Errorf("dataparallel: a mini-batch of %d samples "+
			"cannot be shared by %d replicas", n, g.size)
	}
	for _, m := range g.local {
		lo, hi := share(m.rank, g.size, n)
		viewRows(&m.x, x, lo, hi)
		viewRows(&m.y, labels, lo, hi)
		m.offset = lo
	}
	replies, err := g.run(command{op: opTrain, step: step, scale: 1 / float32(n), vote: stop},
		nil)
	if err != nil {
		return train.StepResult{}, fmt.Errorf("dataparallel: step %d: %w", step, err)
	}

	stats := replies[0].stats
	if g.shared != nil {
		copy(stats[:], g.shared[:statsLen])
	}
	loss := float64(stats[statLoss]) / float64(n)
	lead := g.local[0].last
	res := train.StepResult{
		Loss: loss, Samples: n, Stop: stats[statStop] > 0,
		Compute: lead.compute, Exchange: lead.exchange, Wait: lead.wait,
		Bytes: lead.bytes, StateBytes: lead.stateBytes,
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return res, &train.NonFiniteError{Step: step, Loss: loss, What: "loss"}
	}
	return res, nil
}

// viewRows makes dst view samples [lo, hi) of src, reusing dst's shape.
func viewRows(dst, src *tensor.Tensor, lo, hi int) {
	per := src.SampleLen()
	if len(dst.Shape) != len(src.Shape) {
		dst.Shape = make(tensor.Shape, len(src.Shape))
	}
	copy(dst.Shape, src.Shape)
	dst.Shape[0] = hi - lo
	dst.Data = src.Data[lo*per : hi*per]
}

// Evaluate implements [train.Engine]: the local members share each test
// mini-batch.
func (g *Group) Evaluate(ds data.Dataset, batch int) train.Evaluation {
	loader, err := data.NewLoader(ds, data.LoaderConfig{BatchSize: batch, Threads: g.threads})
	if err != nil || g.closed {
		return train.Evaluation{}
	}
	var x, y tensor.Tensor
	var e train.Evaluation
	var lossSum float64
	correct := 0
	which := make([]bool, len(g.local))
	for b := 0; b < loader.BatchesPerEpoch(); b++ {
		loader.Next(&x, &y)
		n := x.Batch()
		for i, m := range g.local {
			lo, hi := share(i, len(g.local), n)
			which[i] = hi > lo
			viewRows(&m.x, &x, lo, hi)
			viewRows(&m.y, &y, lo, hi)
		}
		replies, err := g.run(command{op: opEval}, which)
		if err != nil {
			return train.Evaluation{}
		}
		for i, r := range replies {
			if which[i] {
				lossSum += r.loss
				correct += r.correct
			}
		}
		e.Samples += n
	}
	e.Loss = lossSum / float64(e.Samples)
	e.Accuracy = float64(correct) / float64(e.Samples)
	return e
}

// State implements [train.Engine]: the solver history, gathered from the
// owners of the partitions. Every process of a group must call it at the
// same step.
func (g *Group) State() ([]string, map[string]*tensor.Tensor, error) {
	m := g.local[0]
	if m.kind == "" {
		return nil, map[string]*tensor.Tensor{}, nil
	}
	if g.shared != nil && !m.replicated && m.stateBuf == nil {
		// One buffer for the group, each owner filling its partitions.
		buf := make([]float32, m.lay.size)
		for _, lm := range g.local {
			lm.stateBuf = buf
			lm.account()
		}
	}
	if _, err := g.run(command{op: opGather}, nil); err != nil {
		return nil, nil, err
	}
	names, tensors := fullState(m.kind, m.lay, m.params, m.stateBuf)
	return names, tensors, nil
}

// Restore implements [train.Engine]: every replica loads the parameters,
// and every owner the history of its partitions.
func (g *Group) Restore(c *checkpoint.Checkpoint) error {
	_, err := g.run(command{op: opRestore, ckpt: c}, nil)
	return err
}

// Memory returns the memory account of each local device.
func (g *Group) Memory() []*device.Memory {
	ms := make([]*device.Memory, len(g.local))
	for i, m := range g.local {
		ms[i] = m.dev.Memory()
	}
	return ms
}

// Close stops the members and closes the exchange transports. After a
// failure it does not wait for members that are stuck.
func (g *Group) Close() error {
	if g.closed {
		return nil
	}
	var err error
	if g.broken == nil {
		_, err = g.run(command{op: opClose}, nil)
	} else {
		// Stuck members never read their commands: closing the channel
		// stops the others, which close their queues as they leave.
		//
		// TODO: their buffers from the transport stay mapped until the
		// process exits (their files are gone already): a member may be
		// stuck in its computation on them, and the caller may read the
		// parameters as soon as Close returns, so no one can tell when
		// unmapping them is safe. A failed group is usually the end of
		// the process.
		for _, m := range g.local {
			go m.close()
		}
	}
	g.closed = true
	for _, c := range g.cmds {
		close(c)
	}
	if g.closer != nil {
		if cerr := g.closer(); err == nil && !errors.Is(cerr, exchange.ErrClosed) {
			err = cerr
		}
	}
	return err
}

// closeMembers closes members built before a failure, whose goroutines
// have not started.
func (g *Group) closeMembers() {
	for _, m := range g.local {
		m.close()
		m.release()
		m.restoreLayers()
	}
}

package partition

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mariana-dl/mariana/device"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/tensor"
)

// DefaultTimeout is how long a worker waits for a worker of another group
// in the gradient exchange before the run fails, when Options.Timeout is 0.
const DefaultTimeout = 10 * time.Minute

// Options adjusts how a Runner uses the machine.
type Options struct {
	// Threads is the budget of CPU threads the workers share
	// (device.SplitCPUs); 0 means every core.
	Threads int

	// Timeout bounds a worker's wait for its peers in the gradient
	// exchange; 0 means DefaultTimeout.
	Timeout time.Duration

	// Pin gives every worker's device its own cores and keeps the
	// worker's goroutine on them (device.SplitPinnedCPUs, CPU.Attach),
	// when the thread budget fits in the cores the process may use.
	Pin bool
}

// Runner trains a partitioned network: Groups worker groups of Workers
// workers, each worker a CPU device running its partition on its own
// goroutine with its own compute context and solver. A step hands every
// group its share of the mini-batch; the workers of a group run forward and
// backward together, passing tensors through Transfer Layers; the workers
// holding the same partition in different groups sum their gradients
// (package exchange); each worker updates its own parameters; and all meet
// at the end of the step. A Runner is not safe for concurrent use.
type Runner struct {
	plan    *Plan
	groups  [][]*worker
	all     []*worker
	exch    []*partitionExchange
	cmds    []chan command
	replies chan reply
	running sync.WaitGroup

	abort    chan struct{}
	failOnce sync.Once
	err      error
	closed   bool

	xs, ys []tensor.Tensor // each group's share of the batch
	losses []float64
	step   int64
}

// Build plans the network of spec s as cfg says, builds it whole and fills
// its weights from the spec's seed, and returns a Runner whose partitions
// hold slices of those weights, with the spec's solver.
func Build(s *spec.Spec, cfg Config, opts Options) (*Runner, error) {
	g, err := model.FromSpec(s)
	if err != nil {
		return nil, err
	}
	p, err := NewPlan(s, g, cfg)
	if err != nil {
		return nil, err
	}
	g.Init(s.Seed)
	return NewRunner(p, g, s.Seed, s.Solver, opts)
}

// NewRunner starts the workers of plan p. Every partition's parameters are
// copied from the matching slices of whole, the graph p was made from,
// with its parameters filled; dropout layers draw their masks from seed as
// the whole network's would (model.LayerSeed). Each worker gets its own
// solver configured by solver.
func NewRunner(p *Plan, whole *model.Graph, seed uint64, solver optim.Config,
	opts Options) (*Runner, error) {
	groups, workers := p.Config.Groups, p.Config.Workers
	split := device.SplitCPUs
	if opts.Pin {
		split = device.SplitPinnedCPUs
	}
	devs, err := split(groups*workers, opts.Threads)
	if err != nil {
		return nil, fmt.Errorf("partition: %w", err)
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	r := &Runner{plan: p, replies: make(chan reply, groups*workers),
		abort: make(chan struct{}), xs: make([]tensor.Tensor, groups),
		ys: make([]tensor.Tensor, groups), losses: make([]float64, groups)}

	if groups > 1 {
		for k, pp := range p.Partitions {
			e, err := newPartitionExchange(groups, pp.ParamBytes, p.Config.Exchange,
				opts.Timeout)
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("partition: exchange of partition %d: %w", k, err)
			}
			r.exch = append(r.exch, e)
		}
	}
	for g := range groups {
		ws, err := r.buildGroup(g, devs[g*workers:(g+1)*workers], whole, seed)
		if err != nil {
			r.Close()
			return nil, err
		}
		for k, w := range ws {
			cfg := solver
			cfg.Threads = w.dev.Threads()
			if w.solver, err = optim.New(cfg); err == nil {
				err = w.solver.Prepare(w.params)
			}
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("partition: solver of group %d worker %d: %w", g, k, err)
			}
			if r.exch != nil {
				w.sum = r.exch[k].members[g]
			}
			w.account()
		}
		r.groups = append(r.groups, ws)
		r.all = append(r.all, ws...)
	}

	for _, w := range r.all {
		cmds := make(chan command)
		r.cmds = append(r.cmds, cmds)
		r.running.Add(1)
		go func() {
			defer r.running.Done()
			detach, err := w.dev.Attach()
			if err != nil {
				for range cmds {
					r.replies <- reply{group: w.group, part: w.part,
						err: fmt.Errorf("partition: %w", err)}
				}
				return
			}
			defer detach()
			for c := range cmds {
				r.replies <- w.do(c)
			}
		}()
	}
	return r, nil
}

// buildGroup makes the workers of group g on devs, with fresh instances of
// every node of the plan and the links between them.
func (r *Runner) buildGroup(g int, devs []*device.CPU, whole *model.Graph,
	seed uint64) ([]*worker, error) {
	p := r.plan
	ws := make([]*worker, len(devs))
	for k, d := range devs {
		ws[k] = &worker{group: g, part: k, dev: d, ctx: d.Context(), abort: r.abort,
			stats: WorkerStats{Group: g, Partition: k, Device: d.Name()}}
	}
	ops := make([]*op, len(p.nodes))
	for i := range p.nodes {
		n := &p.nodes[i]
		w := ws[n.part]
		o := &op{node: n, out: &tensor.Tensor{}, dOut: &tensor.Tensor{}, loss: i == p.loss}
		if err := r.instance(o, ops, w); err != nil {
			return nil, err
		}
		if err := fill(o, whole, seed); err != nil {
			return nil, err
		}
		if o.loss {
			w.lossOp = o
		}
		ops[i] = o
		w.ops = append(w.ops, o)
		w.params = append(w.params, o.layer.Params()...)
	}
	plumbGradients(p, ops)
	return ws, nil
}

// instance builds and sets up the layer of op o on worker w, wiring its
// inputs to the ops before it.
func (r *Runner) instance(o *op, ops []*op, w *worker) error {
	n := o.node
	if n.kind == kindTransfer {
		src := ops[n.src]
		l := newLink(src.out, src.node.shape, n.lo, n.hi)
		src.sends = append(src.sends, l)
		o.recv = l
		o.layer = newTransfer(n.name, n.shape, l)
	} else {
		l, err := n.build()
		if err != nil {
			return fmt.Errorf("partition: %s: %w", n.name, err)
		}
		o.layer = l
	}

	o.in = make([]*tensor.Tensor, len(n.inputs))
	o.inShapes = make([]tensor.Shape, len(n.inputs))
	o.dIn = make([]*tensor.Tensor, len(n.inputs))
	for j, ref := range n.inputs {
		switch ref {
		case dataRef:
			o.in[j], o.inShapes[j] = &w.x, r.plan.Input
			w.readsInput = true
		case labelRef:
			o.in[j], o.inShapes[j] = &w.y, tensor.Shape{1}
			w.readsInput = true
		default:
			src := ops[ref]
			if src.node.part != n.part {
				return fmt.Errorf("partition: %s reads %s of another partition without "+
					"a transfer", n.name, src.node.name)
			}
			o.in[j], o.inShapes[j] = src.out, src.node.shape
		}
	}
	out, err := o.layer.Setup(o.inShapes)
	if err != nil {
		return fmt.Errorf("partition: %s: %w", n.name, err)
	}
	if !out.Equal(n.shape) {
		return fmt.Errorf("partition: %s: output %v, the plan says %v", n.name, out, n.shape)
	}
	return nil
}

// fill copies op o's parameters from their slices of the whole graph's, or
// seeds a layer without parameters (dropout) as the whole layer is seeded.
func fill(o *op, whole *model.Graph, seed uint64) error {
	n := o.node
	ps := o.layer.Params()
	if len(ps) == 0 {
		if in, ok := o.layer.(layer.Initializer); ok && n.seedOf != "" {
			in.Init(model.LayerSeed(seed, n.seedOf))
		}
		return nil
	}
	src := whole.Nodes()[n.origin].Layer.Params()
	if len(src) != len(ps) {
		return fmt.Errorf("partition: %s has %d parameters, %s %d", n.name, len(ps),
			src[0].Name, len(src))
	}
	for j, p := range ps {
		rows, err := rowRange(src[j], n.rows, p)
		if err != nil {
			return err
		}
		copy(p.Value.Data, rows)
		p.LRMult, p.DecayMult = src[j].LRMult, src[j].DecayMult
	}
	return nil
}

// rowRange returns rows [r[0], r[1]) of whole's value, checking that they
// are the size of part.
func rowRange(whole *layer.Param, r [2]int, part *layer.Param) ([]float32, error) {
	per := whole.Value.Len() / whole.Value.Shape[0]
	rows := whole.Value.Data[r[0]*per : r[1]*per]
	if len(rows) != part.Value.Len() {
		return nil, fmt.Errorf("partition: %s holds %d values; rows %d:%d of %s hold %d",
			part.Name, part.Value.Len(), r[0], r[1], whole.Name, len(rows))
	}
	return rows, nil
}

// plumbGradients decides where every op's readers write the gradient of
// its output; see [op.dIn] and [worker.gatherGrad].
func plumbGradients(p *Plan, ops []*op) {
	type edge struct {
		reader *op
		j      int
		link   *link
	}
	readers := make([][]edge, len(ops))
	for _, o := range ops {
		n := o.node
		if n.kind == kindTransfer {
			if n.needGrad {
				readers[n.src] = append(readers[n.src], edge{link: o.recv})
			}
			continue
		}
		for j, ref := range n.inputs {
			if ref >= 0 && p.nodes[ref].needGrad {
				readers[ref] = append(readers[ref], edge{reader: o, j: j})
			}
		}
	}

	for i, es := range readers {
		prod := ops[i]

		// One local reader may write dOut itself, the others then adding
		// to it: the first in order, which is where model.Net copies
		// from; or, where the order of the sum is free (columns), the
		// only local reader.
		inplace := -1
		locals := 0
		for k, e := range es {
			if e.link == nil {
				locals++
				if inplace < 0 {
					inplace = k
				}
			}
		}
		if inplace > 0 && (p.exactSums || locals > 1) {
			inplace = -1
		}
		if inplace >= 0 {
			e := es[inplace]
			e.reader.dIn[e.j] = prod.dOut
			prod.direct = len(es) == 1
			prod.inplace = true
		}
		for k, e := range es {
			if k == inplace {
				continue
			}
			if e.link == nil {
				buf := &tensor.Tensor{}
				e.reader.dIn[e.j] = buf
				prod.grads = append(prod.grads, contribution{buf: buf, full: true,
					keep: prod.node.shape.Size()})
				continue
			}
			l := e.link
			c := contribution{buf: l.grad, link: l, skip: l.skip, keep: l.keep,
				full: l.skip == 0 && l.keep == l.per}
			if len(es) == 1 && c.full {
				// The only reader is on another worker: its Transfer
				// Layer writes the gradient straight into dOut.
				l.grad, c.buf, c.alias = prod.dOut, prod.dOut, true
			}
			prod.grads = append(prod.grads, c)
		}
	}
}

// Plan returns the plan the runner executes.
func (r *Runner) Plan() *Plan { return r.plan }

// StepCount returns the number of training steps done, the step the next
// Step computes.
func (r *Runner) StepCount() int64 { return r.step }

// SetStep sets the step the next Step computes, for a resumed run.
func (r *Runner) SetStep(step int64) { r.step = step }

// Step trains on a mini-batch x with labels y: every group takes an equal
// share of it. It returns the mean loss over the mini-batch.
func (r *Runner) Step(x, y *tensor.Tensor) (float64, error) {
	n := x.Batch()
	sum, _, err := r.run(command{step: r.step, train: true, scale: 1 / float32(n)}, x, y)
	if err != nil {
		return 0, err
	}
	r.step++
	return sum / float64(n), nil
}

// Evaluate runs the network forward on x with labels y, as in evaluation
// (dropout off), and returns the sum of the per-sample losses and the
// number of samples classified right. A batch that does not split evenly
// among the groups runs on the first group alone.
func (r *Runner) Evaluate(x, y *tensor.Tensor) (lossSum float64, correct int, err error) {
	return r.run(command{step: r.step}, x, y)
}

// run hands every worker its group's share of x and y with command c, and
// waits for all of them: the synchronisation point of the step.
func (r *Runner) run(c command, x, y *tensor.Tensor) (float64, int, error) {
	if r.closed {
		return 0, 0, errors.New("partition: the runner is closed")
	}
	if r.err != nil {
		return 0, 0, r.err
	}
	groups := len(r.groups)
	n := x.Batch()
	if x.SampleLen() != r.plan.Input.Size() || y.SampleLen() != 1 || y.Batch() != n {
		return 0, 0, fmt.Errorf("partition: a batch of shape %v with labels %v; the "+
			"network takes samples of shape %v and one label each", x.Shape, y.Shape,
			r.plan.Input)
	}
	if n%groups != 0 && !c.train {
		groups = 1
	}
	if n == 0 || n%groups != 0 {
		return 0, 0, fmt.Errorf("partition: a batch of %d samples does not split into %d "+
			"equal shares, one per group", n, groups)
	}

	share := n / groups
	clear(r.losses)
	for g := range groups {
		rows(&r.xs[g], x, g*share, (g+1)*share)
		rows(&r.ys[g], y, g*share, (g+1)*share)
	}
	active := groups * r.plan.Config.Workers
	for i, w := range r.all[:active] {
		c.x, c.y = &r.xs[w.group], &r.ys[w.group]
		c.offset = w.group * share
		r.cmds[i] <- c
	}

	right := 0
	for range active {
		rep := <-r.replies
		if rep.err != nil {
			r.fail(rep.err)
		}
		r.losses[rep.group] += rep.lossSum
		right += rep.correct
	}
	if r.err != nil {
		return 0, 0, r.err
	}

	// Sum in group order, so that the loss does not depend on which
	// worker answered first.
	var sum float64
	for _, l := range r.losses {
		sum += l
	}
	return sum, right, nil
}

// rows makes dst a view of samples [lo, hi) of src without allocating.
func rows(dst, src *tensor.Tensor, lo, hi int) {
	per := src.SampleLen()
	dst.Data = src.Data[lo*per : hi*per]
	dst.Shape = append(dst.Shape[:0], src.Shape...)
	dst.Shape[0] = hi - lo
}

// fail records the run's first error, preferring a cause to an
// ErrAborted, and stops every worker that waits: for a Transfer Layer
// (abort) or in the exchange (its groups close).
func (r *Runner) fail(err error) {
	if r.err == nil || (errors.Is(r.err, ErrAborted) && !errors.Is(err, ErrAborted)) {
		r.err = err
	}
	r.failOnce.Do(func() {
		close(r.abort)
		// Closing the transports wakes the workers blocked in an
		// exchange; the collectives themselves may be in use, and stop
		// in Close.
		for _, e := range r.exch {
			e.group.Close()
		}
	})
}

// Close stops the workers. The runner cannot be used afterwards.
func (r *Runner) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	for _, c := range r.cmds {
		close(c)
	}
	r.running.Wait()
	for _, e := range r.exch {
		e.close()
	}
	return nil
}

// CopyParams writes the parameters of the first group's workers into the
// matching slices of dst, a graph of the network the plan was made from:
// the whole network as training left it, for checkpoints and evaluation on
// one device. Call it between steps.
func (r *Runner) CopyParams(dst *model.Graph) error {
	if len(r.groups) == 0 {
		return errors.New("partition: the runner has no workers")
	}
	for _, w := range r.groups[0] {
		for _, o := range w.ops {
			ps := o.layer.Params()
			if len(ps) == 0 {
				continue
			}
			whole := dst.Nodes()[o.node.origin].Layer.Params()
			for j, p := range ps {
				rows, err := rowRange(whole[j], o.node.rows, p)
				if err != nil {
					return err
				}
				copy(rows, p.Value.Data)
			}
		}
	}
	return nil
}

package partition

import (
	"fmt"
	"math"
	"time"

	"github.com/mariana-dl/mariana/device"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/tensor"
)

// op is one node of the plan as one worker group executes it.
type op struct {
	node  *node
	layer layer.Layer

	// in[j] is input j: a local op's output, or the worker's data or
	// labels; inShapes[j] its per-sample shape.
	in       []*tensor.Tensor
	inShapes []tensor.Shape

	out, dOut *tensor.Tensor

	// dIn[j] is where Backward writes the gradient of input j: the
	// producer's dOut when this op is its only contribution, a private
	// buffer otherwise, nil when none is needed.
	dIn []*tensor.Tensor

	// grads are the contributions summed into dOut before Backward, in
	// the plan's order of their readers; see [worker.gatherGrad].
	grads []contribution

	// inplace: a local reader writes dOut itself, before the others add
	// to it; direct: that reader is the only one.
	inplace, direct bool

	// recv is the link a Transfer Layer receives from; sends the links
	// that carry this op's output to other workers.
	recv  *link
	sends []*link

	loss bool
}

// contribution is one reader's share of an op's output gradient.
type contribution struct {
	buf *tensor.Tensor

	// link, when set, is the Transfer Layer that writes buf; it must have
	// signalled before buf is read. alias: buf is dOut itself.
	link  *link
	alias bool

	// Each sample of buf goes to values [skip, skip+keep) of the dOut
	// sample; full when that is all of it.
	skip, keep int
	full       bool
}

// worker executes one partition of one worker group on its own device:
// forward, backward, the exchange with the workers of other groups that
// hold the same partition, and the update of its parameters.
type worker struct {
	group, part int
	dev         *device.CPU
	ctx         layer.Context

	ops    []*op
	params []*layer.Param
	solver *optim.Solver
	sum    gradSum // nil with one group

	// x and y view the group's share of the mini-batch.
	x, y       tensor.Tensor
	readsInput bool
	lossOp     *op

	abort <-chan struct{}
	stats WorkerStats
}

// command is what the runner asks of every worker for one step.
type command struct {
	step   int64
	train  bool
	x, y   *tensor.Tensor // the group's share of the mini-batch
	offset int            // the index of its first sample in the mini-batch
	scale  float32        // the weight of each sample's loss
}

// reply is a worker's answer to a command.
type reply struct {
	group, part int
	lossSum     float64
	correct     int
	err         error
}

// do runs one command, turning a panic in a layer into an error, so that a
// broken worker fails its run instead of the process.
func (w *worker) do(c command) (r reply) {
	r.group, r.part = w.group, w.part
	defer func() {
		if p := recover(); p != nil {
			r.err = fmt.Errorf("partition: group %d worker %d (%s): %v", w.group, w.part,
				w.dev.Name(), p)
		}
	}()

	view(&w.x, c.x)
	view(&w.y, c.y)
	w.ctx.Train, w.ctx.Step, w.ctx.SampleOffset = c.train, c.step, c.offset
	if r.err = w.forward(); r.err != nil {
		return r
	}
	if w.lossOp != nil {
		for _, v := range w.lossOp.out.Data {
			r.lossSum += float64(v)
		}
		if !c.train {
			r.correct = correct(w.lossOp.in[0], w.lossOp.in[1])
		}
		if c.train && (math.IsNaN(r.lossSum) || math.IsInf(r.lossSum, 0)) {
			// Stop before any worker updates: the others wait for this
			// one's gradients, and fail with the run.
			r.err = &LossError{Step: c.step, Group: w.group, Sum: r.lossSum}
			return r
		}
	}
	if !c.train {
		return r
	}

	if r.err = w.backward(c.scale); r.err != nil {
		return r
	}
	if w.sum != nil {
		began := time.Now()
		for _, p := range w.params {
			if r.err = w.sum.AllReduce(p.Grad.Data); r.err != nil {
				return r
			}
		}
		w.stats.Exchange += time.Since(began)
	}
	began := time.Now()
	w.solver.Update(c.step, w.params)
	w.stats.Update += time.Since(began)
	w.stats.Steps++
	w.account()
	return r
}

// view makes dst a view of src without allocating.
func view(dst, src *tensor.Tensor) {
	dst.Data = src.Data
	dst.Shape = append(dst.Shape[:0], src.Shape...)
}

// forward runs the worker's ops in plan order.
func (w *worker) forward() error {
	began := time.Now()
	var waited time.Duration
	n := w.x.Batch()
	for _, o := range w.ops {
		if o.recv != nil {
			t := time.Now()
			if err := wait(o.recv.fwd, w.abort); err != nil {
				return err
			}
			waited += time.Since(t)
		}
		o.out.Resize(o.node.shape, n)
		o.layer.Forward(&w.ctx, o.in, o.out)
		for _, l := range o.sends {
			l.fwd <- struct{}{}
		}
	}
	w.stats.Forward += time.Since(began) - waited
	w.stats.Wait += waited
	return nil
}

// backward runs the worker's ops in reverse plan order.
func (w *worker) backward(scale float32) error {
	began := time.Now()
	var waited time.Duration
	n := w.x.Batch()
	for i := len(w.ops) - 1; i >= 0; i-- {
		o := w.ops[i]
		if !o.node.needGrad {
			continue
		}
		if o.loss {
			o.dOut.Resize(o.node.shape, n)
			for k := range o.dOut.Data {
				o.dOut.Data[k] = scale
			}
		} else {
			d, err := w.gatherGrad(o, n)
			waited += d
			if err != nil {
				return err
			}
		}
		for j, d := range o.dIn {
			if d != nil {
				d.Resize(o.inShapes[j], n)
			}
		}
		o.layer.Backward(&w.ctx, o.in, o.out, o.dOut, o.dIn)
		if o.recv != nil {
			o.recv.bwd <- struct{}{}
		}
	}
	w.stats.Backward += time.Since(began) - waited
	w.stats.Wait += waited
	return nil
}

// gatherGrad sums the contributions of op o's readers into o.dOut, in the
// plan's order of the readers: the first is copied, the others added, as
// model.Net does, so that a network cut into whole layers sums in the
// same order as the whole network. It returns the time spent waiting for
// Transfer Layers.
func (w *worker) gatherGrad(o *op, n int) (time.Duration, error) {
	if o.direct {
		return 0, nil
	}
	var waited time.Duration
	first := !o.inplace
	for _, c := range o.grads {
		if c.link != nil {
			t := time.Now()
			if err := wait(c.link.bwd, w.abort); err != nil {
				return waited, err
			}
			waited += time.Since(t)
		}
		if c.alias {
			first = false
			continue
		}
		if first {
			o.dOut.Resize(o.node.shape, n)
			if !c.full {
				clear(o.dOut.Data)
			}
		}
		switch {
		case c.full && first:
			copy(o.dOut.Data, c.buf.Data)
		case c.full:
			tensor.Axpy(1, c.buf.Data, o.dOut.Data)
		default:
			per := o.node.shape.Size()
			for s := range n {
				tensor.Axpy(1, c.buf.Data[s*c.keep:(s+1)*c.keep],
					o.dOut.Data[s*per+c.skip:s*per+c.skip+c.keep])
			}
		}
		first = false
	}
	if first {
		// Nothing reads the output: its gradient is zero.
		o.dOut.Resize(o.node.shape, n)
		clear(o.dOut.Data)
	}
	return waited, nil
}

// correct counts the samples whose logits rank their label first (the
// first maximum wins ties), as model.Net.Correct does.
func correct(logits, labels *tensor.Tensor) int {
	classes := logits.SampleLen()
	right := 0
	for s := range logits.Batch() {
		row := logits.Data[s*classes : (s+1)*classes]
		best := 0
		for c, v := range row {
			if v > row[best] {
				best = c
			}
		}
		if best == int(labels.Data[s]) {
			right++
		}
	}
	return right
}

// account records what the worker's device holds; see Note [Memory].
func (w *worker) account() {
	var params, grads, acts, xfer int64
	for _, p := range w.params {
		params += p.Value.Bytes()
		grads += p.Grad.Bytes()
	}
	for _, o := range w.ops {
		b := int64(cap(o.out.Data)+cap(o.dOut.Data)) * 4
		if o.recv != nil {
			xfer += b
		} else {
			acts += b
		}
		for _, c := range o.grads {
			switch {
			case c.alias:
			case c.link != nil:
				xfer += int64(cap(c.buf.Data)) * 4
			default:
				acts += int64(cap(c.buf.Data)) * 4
			}
		}
	}
	if w.readsInput {
		acts += int64(len(w.x.Data)+len(w.y.Data)) * 4
	}
	m := w.dev.Memory()
	m.Set(device.Parameters, params)
	m.Set(device.Gradients, grads)
	m.Set(device.SolverState, w.solver.StateBytes())
	m.Set(device.Activations, acts)
	m.Set(device.Transfer, xfer)
}

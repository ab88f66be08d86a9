package train

import (
	"fmt"
	"math"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/tensor"
)

// Single is the [Engine] of one device: one network, one solver, one
// compute context.
type Single struct {
	net    *model.Net
	params []*layer.Param
	solver *optim.Solver
	lctx   layer.Context

	// nodeParams are the parameters of each node of the network's graph,
	// which Step updates as soon as that node's backward pass is done;
	// updated is bound once to the method of that name, step is the step
	// being computed.
	nodeParams [][]*layer.Param
	updated    func(node int)
	step       int64
}

// NewSingle returns the engine that trains net with solver on the device
// whose compute context is lctx. It prepares the solver's history.
func NewSingle(net *model.Net, solver *optim.Solver, lctx layer.Context) (*Single, error) {
	e := &Single{net: net, params: net.Params(), solver: solver, lctx: lctx}
	for _, nd := range net.Graph().Nodes() {
		e.nodeParams = append(e.nodeParams, nd.Layer.Params())
	}
	e.updated = e.update
	if err := solver.Prepare(e.params); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return e, nil
}

// Params implements [Engine].
func (e *Single) Params() []*layer.Param { return e.params }

// Leader implements [Engine]: one device always leads.
func (e *Single) Leader() bool { return true }

// LR implements [Engine].
func (e *Single) LR(step int64) float32 { return e.solver.LR(step) }

// Step implements [Engine]: forward, a check that the loss is finite
// (before anything changes, so the model stays the last good one),
// backward and update.
func (e *Single) Step(step int64, x, labels *tensor.Tensor, stop bool) (StepResult, error) {
	if stop {
		return StepResult{Stop: true}, nil
	}
	e.lctx.Train = true
	e.lctx.Step = step
	e.lctx.SampleOffset = 0

	n := x.Batch()
	loss := e.net.Forward(&e.lctx, x, labels) / float64(n)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return StepResult{Loss: loss}, &NonFiniteError{Step: step, Loss: loss, What: "loss"}
	}

	e.step = step
	e.net.BackwardNotify(&e.lctx, 1/float32(n), e.updated)
	return StepResult{Loss: loss, Samples: n}, nil
}

// update applies the solver to the parameters of node, whose gradients are
// final once its backward pass is done, and which no node below it reads
// again in this step. Updating each layer's parameters then, while their
// gradients are still in cache from the product that wrote them, instead of
// all of them after the backward pass, saves a trip to memory per value;
// each value's update depends on that value alone, so the result is the
// same bit for bit.
func (e *Single) update(node int) {
	if ps := e.nodeParams[node]; len(ps) > 0 {
		e.solver.Update(e.step, ps)
	}
}

// Evaluate implements [Engine]: the whole of ds, in order.
func (e *Single) Evaluate(ds data.Dataset, batch int) Evaluation {
	return Evaluate(e.net, e.lctx, ds, batch)
}

// Evaluate scores net on the whole of ds, in order, in mini-batches of
// batch samples, computing with lctx.
func Evaluate(net *model.Net, lctx layer.Context, ds data.Dataset, batch int) Evaluation {
	loader, err := data.NewLoader(ds, data.LoaderConfig{BatchSize: batch, Threads: lctx.Threads})
	if err != nil {
		// The test set was checked when the run was built; an empty one
		// scores nothing.
		return Evaluation{}
	}

	ctx := lctx
	ctx.Train = false
	var x, y tensor.Tensor
	var e Evaluation
	var lossSum float64
	correct := 0
	for b := 0; b < loader.BatchesPerEpoch(); b++ {
		loader.Next(&x, &y)
		lossSum += net.Forward(&ctx, &x, &y)
		correct += net.Correct()
		e.Samples += x.Batch()
	}
	e.Loss = lossSum / float64(e.Samples)
	e.Accuracy = float64(correct) / float64(e.Samples)
	return e
}

// State implements [Engine].
func (e *Single) State() ([]string, map[string]*tensor.Tensor, error) {
	names, state := e.solver.State()
	return names, state, nil
}

// Restore implements [Engine].
func (e *Single) Restore(c *checkpoint.Checkpoint) error {
	if err := LoadParams(c, e.params); err != nil {
		return err
	}
	if err := e.solver.LoadState(SolverState(c, e.params)); err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	if err := e.solver.Prepare(e.params); err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	return nil
}

// SolverState returns the tensors of c that are not parameters: the
// solver's history.
func SolverState(c *checkpoint.Checkpoint, params []*layer.Param) map[string]*tensor.Tensor {
	state := make(map[string]*tensor.Tensor)
	for _, n := range c.Names {
		if !isParam(params, n) {
			state[n] = c.Tensors[n]
		}
	}
	return state
}

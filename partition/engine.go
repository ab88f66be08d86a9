package partition

import (
	"errors"
	"fmt"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/tensor"
	"github.com/mariana-dl/mariana/train"
)

// Engine is the train.Engine of the model-parallel framework: a Runner
// that a train.Trainer drives, showing the whole network's parameters and
// solver history, as checkpoints hold them, so that a checkpoint of a
// partitioned run resumes on one device and the other way round.
type Engine struct {
	r      *Runner
	whole  *model.Graph
	solver *optim.Solver // the job's, for the learning-rate schedule
	parts  []partParam   // every worker's parameters
}

// partParam is one parameter of one worker, and where it lies in the whole
// network's.
type partParam struct {
	w     *worker
	part  *layer.Param
	whole *layer.Param
	rows  [2]int
}

var _ train.Engine = (*Engine)(nil)

// NewEngine plans job's network as its spec's parallel section and
// partition keys say, and starts the workers, whose parameters are slices
// of job.Graph's (filled by train.Build). job.Graph then holds the whole
// network's parameters when Params asks for them.
func NewEngine(job *train.Job, opts Options) (*Engine, error) {
	p, err := NewPlan(job.Spec, job.Graph, FromSpec(job.Spec))
	if err != nil {
		return nil, err
	}
	r, err := NewRunner(p, job.Graph, job.Spec.Seed, job.Spec.Solver, opts)
	if err != nil {
		return nil, err
	}
	e := &Engine{r: r, whole: job.Graph, solver: job.Solver}
	for _, w := range r.all {
		for _, o := range w.ops {
			whole := job.Graph.Nodes()[max(o.node.origin, 0)].Layer.Params()
			for j, prm := range o.layer.Params() {
				e.parts = append(e.parts, partParam{w: w, part: prm, whole: whole[j],
					rows: o.node.rows})
			}
		}
	}
	return e, nil
}

// Runner returns the runner the engine drives: its plan and statistics.
func (e *Engine) Runner() *Runner { return e.r }

// Close stops the workers.
func (e *Engine) Close() error { return e.r.Close() }

// Params implements train.Engine: the whole network's parameters, into
// which it first copies the workers'.
func (e *Engine) Params() []*layer.Param {
	if err := e.r.CopyParams(e.whole); err != nil {
		// The plan was made from this graph, so its slices fit.
		panic(err)
	}
	return e.whole.Params()
}

// Leader implements train.Engine: the workers all live in this process.
func (e *Engine) Leader() bool { return true }

// LR implements train.Engine.
func (e *Engine) LR(step int64) float32 { return e.solver.LR(step) }

// Step implements train.Engine. A loss that is not finite stops the step
// before any parameter changes, and the run with it.
func (e *Engine) Step(step int64, x, labels *tensor.Tensor, stop bool) (train.StepResult, error) {
	if stop {
		return train.StepResult{Stop: true}, nil
	}
	lead := &e.r.all[0].stats
	before := lead.Forward + lead.Backward
	e.r.SetStep(step)
	loss, err := e.r.Step(x, labels)
	if le, ok := errors.AsType[*LossError](err); ok {
		return train.StepResult{Loss: le.Sum}, &train.NonFiniteError{Step: step,
			Loss: le.Sum, What: "loss"}
	}
	if err != nil {
		return train.StepResult{}, err
	}
	return train.StepResult{Loss: loss, Samples: x.Batch(),
		Compute: lead.Forward + lead.Backward - before}, nil
}

// Evaluate implements train.Engine: the whole of ds, in order.
func (e *Engine) Evaluate(ds data.Dataset, batch int) train.Evaluation {
	loader, err := data.NewLoader(ds, data.LoaderConfig{BatchSize: batch, Threads: 1})
	if err != nil {
		return train.Evaluation{}
	}
	var x, y tensor.Tensor
	var ev train.Evaluation
	var sum float64
	right := 0
	for range loader.BatchesPerEpoch() {
		loader.Next(&x, &y)
		s, r, err := e.r.Evaluate(&x, &y)
		if err != nil {
			return train.Evaluation{}
		}
		sum += s
		right += r
		ev.Samples += x.Batch()
	}
	if ev.Samples > 0 {
		ev.Loss = sum / float64(ev.Samples)
		ev.Accuracy = float64(right) / float64(ev.Samples)
	}
	return ev
}

// State implements train.Engine: the first group's solver history, each
// worker's slices joined into tensors shaped like the whole parameters and
// named after them.
func (e *Engine) State() ([]string, map[string]*tensor.Tensor, error) {
	byName := make(map[string]partParam)
	for _, pp := range e.parts {
		if pp.w.group == 0 {
			byName[pp.part.Name] = pp
		}
	}
	var names []string
	state := make(map[string]*tensor.Tensor)
	for _, w := range e.r.groups[0] {
		wnames, ts := w.solver.State()
		for _, n := range wnames {
			kind, param, err := optim.ParseStateName(n)
			if err != nil {
				return nil, nil, fmt.Errorf("partition: %w", err)
			}
			pp, ok := byName[param]
			if !ok {
				return nil, nil, fmt.Errorf("partition: solver state %s of no parameter", n)
			}
			name := optim.StateName(kind, pp.whole.Name)
			t, ok := state[name]
			if !ok {
				t = tensor.New(pp.whole.Value.Shape...)
				state[name] = t
				names = append(names, name)
			}
			per := t.Len() / t.Shape[0]
			copy(t.Data[pp.rows[0]*per:pp.rows[1]*per], ts[n].Data)
		}
	}
	return names, state, nil
}

// Restore implements train.Engine: it loads the whole network's
// parameters and solver history from c, written by a run of the same
// network on any number of devices or partitions, and gives every worker
// its slices.
func (e *Engine) Restore(c *checkpoint.Checkpoint) error {
	params := e.whole.Params()
	if err := train.LoadParams(c, params); err != nil {
		return err
	}
	saved := train.SolverState(c, params)

	states := make(map[*worker]map[string]*tensor.Tensor)
	for _, pp := range e.parts {
		rows, err := rowRange(pp.whole, pp.rows, pp.part)
		if err != nil {
			return err
		}
		copy(pp.part.Value.Data, rows)
		if states[pp.w] == nil {
			states[pp.w] = make(map[string]*tensor.Tensor)
		}
		for _, kind := range []string{optim.MomentumState, optim.AdaGradState} {
			t, ok := saved[optim.StateName(kind, pp.whole.Name)]
			if !ok {
				continue
			}
			if !t.Shape.Equal(pp.whole.Value.Shape) {
				return fmt.Errorf("partition: resume: %s has shape %v, %s %v",
					optim.StateName(kind, pp.whole.Name), t.Shape, pp.whole.Name,
					pp.whole.Value.Shape)
			}
			per := t.Len() / t.Shape[0]
			part := tensor.New(pp.part.Value.Shape...)
			copy(part.Data, t.Data[pp.rows[0]*per:pp.rows[1]*per])
			states[pp.w][optim.StateName(kind, pp.part.Name)] = part
		}
	}
	for _, w := range e.r.all {
		if err := w.solver.LoadState(states[w]); err != nil {
			return fmt.Errorf("partition: resume: %w", err)
		}
		if err := w.solver.Prepare(w.params); err != nil {
			return fmt.Errorf("partition: resume: %w", err)
		}
	}
	return nil
}

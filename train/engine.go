package train

import (
	"time"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// Engine computes the steps of a [Trainer]: forward, backward and update
// of one mini-batch, on one device ([NewSingle]) or on several (the
// data-parallel framework). The Trainer owns the loop around it: data,
// display, evaluation, checkpoints and resume.
//
// An engine that is one member of a group of processes (rank 0 to n-1)
// must be driven the same way in every process: the same steps, and
// State at the same steps. Only the leader's Trainer reports, evaluates
// and writes checkpoints.
type Engine interface {
	// Params returns the model's parameters, as checkpoints store them.
	// They hold the current weights whenever Step is not running.
	Params() []*layer.Param

	// Step trains on the global mini-batch (x, labels) as step step,
	// counted from 0. stop says this process wants to stop: an engine
	// whose members all live in this process returns at once with
	// Samples 0 and Stop set; a member of a group of processes trains the
	// step and tells the others, and every member returns Stop together.
	Step(step int64, x, labels *tensor.Tensor, stop bool) (StepResult, error)

	// Evaluate scores the model on ds, in mini-batches of batch samples.
	Evaluate(ds data.Dataset, batch int) Evaluation

	// LR returns the learning rate of step.
	LR(step int64) float32

	// State returns the solver's history under the names of
	// [optim.StateName], for a checkpoint. A member of a group gathers
	// it from the others: every member calls State at the same steps.
	// The tensors may be the engine's own; they stay valid until the
	// next Step.
	State() (names []string, tensors map[string]*tensor.Tensor, err error)

	// Restore loads the parameters and the solver's history from a
	// checkpoint written by a run of the same network, on any number of
	// devices.
	Restore(c *checkpoint.Checkpoint) error

	// Leader reports whether this process reports progress, evaluates and
	// writes checkpoints: always on one device, rank 0 in a group.
	Leader() bool
}

// StepResult is what one training step did.
type StepResult struct {
	// Loss is the mean loss over the global mini-batch.
	Loss float64

	// Samples is the size of the global mini-batch trained on, 0 when
	// the engine stopped without training.
	Samples int

	// Stop is set when the run must stop after this step: this process
	// or, in a group of processes, another member asked to.
	Stop bool

	// Compute is the time the (leader's) device spent in the forward and
	// backward passes. Exchange is the time the exchange of the step took,
	// mostly overlapped with the backward pass, and Wait the part of it
	// the device waited for after its backward pass. All zero on one
	// device, where Compute is not measured apart from the step.
	Compute, Exchange, Wait time.Duration

	// Bytes is what this member sent in the step's exchange, payload
	// only; StateBytes is the part of it that carried solver state rather
	// than gradients and parameters.
	Bytes, StateBytes uint64
}

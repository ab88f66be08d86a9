package train

import (
	"fmt"
	"strconv"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// Metadata keys of a training checkpoint.
const (
	metaFormat   = "mariana.format"
	metaStep     = "mariana.step"
	metaPosition = "mariana.position"
	formatV1     = "mariana-train/1"
)

// checkpoint writes the model, the solver's history and the position in the
// data into the checkpoint folder, then drops the oldest beyond the number
// to keep.
//
// Every member of a group of processes comes here at the same steps: the
// solver's history is gathered from all of them, and the leader writes.
func (t *Trainer) checkpoint() error {
	if t.ckptTaken && t.lastCkptStep == t.step {
		return nil
	}
	for _, p := range t.eng.Params() {
		if !tensor.AllFinite(p.Value.Data) {
			return &NonFiniteError{Step: t.step, Loss: 0, What: "parameter " + p.Name,
				LastCheckpoint: t.lastCkpt}
		}
	}

	c, err := t.Snapshot()
	if err != nil {
		return err
	}
	t.ckptTaken, t.lastCkptStep = true, t.step
	if !t.eng.Leader() {
		return nil
	}
	path, err := checkpoint.Save(t.cfg.CheckpointDir, t.step, c, t.cfg.KeepCheckpoints)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	t.lastCkpt = path
	t.rep.Checkpointed(path, t.step)
	return nil
}

// Snapshot returns the trainer's state as a checkpoint: every parameter
// under its name, the solver's history, and in the metadata the step and
// the position of the next mini-batch. In a group of processes every
// member must take it at the same steps (the history is gathered).
func (t *Trainer) Snapshot() (*checkpoint.Checkpoint, error) {
	c := &checkpoint.Checkpoint{
		Tensors:  make(map[string]*tensor.Tensor),
		Metadata: make(map[string]string),
	}
	for k, v := range t.cfg.Metadata {
		c.Metadata[k] = v
	}
	for _, p := range t.eng.Params() {
		c.Names = append(c.Names, p.Name)
		c.Tensors[p.Name] = p.Value
	}
	names, state, err := t.eng.State()
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	for _, n := range names {
		c.Names = append(c.Names, n)
		c.Tensors[n] = state[n]
	}

	pos, err := t.loader.Position().MarshalText()
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	c.Metadata[metaFormat] = formatV1
	c.Metadata[metaStep] = strconv.FormatInt(t.step, 10)
	c.Metadata[metaPosition] = string(pos)
	return c, nil
}

// Resume restores the parameters, the solver's history, the step and the
// position in the data from a checkpoint written by a run of the same
// network, so that the run continues exactly as if it had never stopped.
func (t *Trainer) Resume(c *checkpoint.Checkpoint) error {
	if f := c.Metadata[metaFormat]; f != formatV1 {
		return fmt.Errorf("train: resume: checkpoint format %q, want %q "+
			"(a checkpoint written by mariana train)", f, formatV1)
	}
	step, err := strconv.ParseInt(c.Metadata[metaStep], 10, 64)
	if err != nil || step < 0 {
		return fmt.Errorf("train: resume: bad %s %q", metaStep, c.Metadata[metaStep])
	}
	var pos data.Position
	if err := pos.UnmarshalText([]byte(c.Metadata[metaPosition])); err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}

	if err := t.eng.Restore(c); err != nil {
		return err
	}
	if err := t.loader.Seek(pos); err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	t.step = step
	return nil
}

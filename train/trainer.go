package train

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/tensor"
)

// Config says how long to train and how often to evaluate, report and
// write checkpoints. Intervals are in steps; 0 turns the action off, except
// that the run always reports and evaluates after its last step.
type Config struct {
	// Steps is the number of steps the whole run takes, counted from 0
	// (a resumed run continues towards the same total).
	Steps int64

	// EvalEvery evaluates on the test set every this many steps.
	EvalEvery int64

	// DisplayEvery reports progress every this many steps.
	DisplayEvery int64

	// CheckpointEvery writes a checkpoint into CheckpointDir every this
	// many steps, and after the last one; it needs CheckpointDir.
	CheckpointEvery int64

	// CheckpointDir is the folder checkpoints go to; "" writes none.
	CheckpointDir string

	// KeepCheckpoints is how many of the newest checkpoints to keep in
	// CheckpointDir; 0 keeps all.
	KeepCheckpoints int

	// TestBatch is the mini-batch size of evaluation; default 1000.
	TestBatch int

	// Metadata is stored in every checkpoint, for example the spec.
	Metadata map[string]string
}

// Result is what a finished run reports.
type Result struct {
	Steps            int64
	Epochs           float64 // epochs of training data seen, in all
	TrainSeconds     float64 // time spent in training steps of this process
	SamplesPerSecond float64 // training throughput of this process
	Final            *Evaluation
	LastCheckpoint   string

	// StepsRun is the number of steps this run trained, which is less
	// than Steps after a resume.
	StepsRun int64

	// BytesExchanged is what this process sent in exchanges during the
	// run (0 on one device); StateBytes the part that carried solver
	// state.
	BytesExchanged, StateBytes uint64
}

// Trainer runs the training loop around an [Engine]. Build it with [New]
// (one device) or [NewWithEngine], resume it if needed with
// [Trainer.Resume], then [Trainer.Run] it once.
type Trainer struct {
	cfg    Config
	eng    Engine
	loader Batches
	test   data.Dataset
	rep    Reporter

	step         int64
	lastCkpt     string // the newest checkpoint written, on the leader
	lastCkptStep int64
	ckptTaken    bool // a checkpoint was taken at lastCkptStep
	x, y         tensor.Tensor

	// The figures of the last step, of the current display window, and
	// of the whole run.
	last     StepResult
	window   window
	exchange struct {
		steps        int64
		bytes, state uint64
	}
}

// window sums what a display interval reports.
type window struct {
	time                    time.Duration
	loss                    float64
	steps                   int
	samples                 int64
	compute, exchange, wait time.Duration
	bytes, state            uint64
}

// New returns a trainer on one device. lctx is the device's compute
// context; loader yields the training mini-batches and test, which may be
// nil, is the evaluation set.
func New(cfg Config, net *model.Net, solver *optim.Solver, loader Batches,
	test data.Dataset, lctx layer.Context, rep Reporter) (*Trainer, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	eng, err := NewSingle(net, solver, lctx)
	if err != nil {
		return nil, err
	}
	return NewWithEngine(cfg, eng, loader, test, rep)
}

// NewWithEngine returns a trainer whose steps eng computes. loader yields
// the global training mini-batches and test, which may be nil, is the
// evaluation set.
func NewWithEngine(cfg Config, eng Engine, loader Batches, test data.Dataset,
	rep Reporter) (*Trainer, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.TestBatch == 0 {
		cfg.TestBatch = 1000
	}
	if rep == nil || !eng.Leader() {
		rep = NopReporter{}
	}
	return &Trainer{cfg: cfg, eng: eng, loader: loader, test: test, rep: rep}, nil
}

func (c Config) check() error {
	if c.Steps < 1 {
		return fmt.Errorf("train: %d steps, want at least 1", c.Steps)
	}
	if c.CheckpointEvery > 0 && c.CheckpointDir == "" {
		return errors.New("train: checkpoints asked for without a checkpoint folder")
	}
	return nil
}

// Step returns the number of steps done so far.
func (t *Trainer) Step() int64 { return t.step }

// Engine returns the engine that computes the steps.
func (t *Trainer) Engine() Engine { return t.eng }

// Run trains until the configured number of steps is done, the context is
// cancelled (a checkpoint is then written if a folder is set), or the loss
// diverges (a *[NonFiniteError]; no checkpoint is written from a diverged
// model).
//
// In a group of processes every member runs the same loop; only the
// leader reports, evaluates and writes checkpoints, and a cancelled member
// stops the others at the same step.
func (t *Trainer) Run(ctx context.Context) (Result, error) {
	var (
		res       Result
		trainTime time.Duration
		samples   int64
		start     = time.Now()
	)
	t.window = window{}

	for t.step < t.cfg.Steps {
		began := time.Now()
		pos, sr, err := t.stepOnce(ctx.Err() != nil)
		spent := time.Since(began)
		if err != nil {
			return res, err
		}
		if sr.Samples == 0 {
			return t.stop(res, trainTime, samples, stopCause(ctx))
		}
		trainTime += spent
		samples += int64(sr.Samples)
		t.window.add(spent, sr)

		last := t.step == t.cfg.Steps
		if every(t.step, t.cfg.DisplayEvery) || last {
			t.rep.Progress(t.window.progress(t.step, t.cfg.Steps, pos.Epoch,
				t.eng.LR(t.step-1), time.Since(start)))
			t.window = window{}
		}
		if t.eng.Leader() && t.test != nil && (every(t.step, t.cfg.EvalEvery) || last) {
			e := t.Evaluate()
			e.Step, e.Epoch = t.step, pos.Epoch
			t.rep.Evaluated(e)
			res.Final = &e
		}
		if t.cfg.CheckpointDir != "" && (every(t.step, t.cfg.CheckpointEvery) || last) {
			if err := t.checkpoint(); err != nil {
				return res, err
			}
		}
		if sr.Stop {
			return t.stop(res, trainTime, samples, stopCause(ctx))
		}
	}
	return t.finish(res, trainTime, samples), nil
}

// ErrStoppedByPeer is the error of a member of a group of processes that
// stopped because another member asked to.
var ErrStoppedByPeer = fmt.Errorf("train: another member of the group stopped: %w",
	context.Canceled)

// stopCause is the error a run stopped by request returns.
func stopCause(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrStoppedByPeer
}

func (w *window) add(d time.Duration, sr StepResult) {
	w.time += d
	w.loss += sr.Loss
	w.steps++
	w.samples += int64(sr.Samples)
	w.compute += sr.Compute
	w.exchange += sr.Exchange
	w.wait += sr.Wait
	w.bytes += sr.Bytes
	w.state += sr.StateBytes
}

func (w *window) progress(step, total int64, epoch int, lr float32,
	elapsed time.Duration) Progress {
	n := float64(w.steps)
	return Progress{
		Step: step, TotalSteps: total, Epoch: epoch,
		Loss: w.loss / n, LR: lr,
		SamplesPerSecond:  float64(w.samples) / w.time.Seconds(),
		Elapsed:           elapsed,
		StepSeconds:       w.time.Seconds() / n,
		ComputeSeconds:    w.compute.Seconds() / n,
		ExchangeSeconds:   w.exchange.Seconds() / n,
		WaitSeconds:       w.wait.Seconds() / n,
		BytesPerStep:      float64(w.bytes) / n,
		StateBytesPerStep: float64(w.state) / n,
	}
}

// StepOnce trains on the next mini-batch: forward, backward and update. It
// returns the batch's position in the data and its mean loss. Run calls it;
// benchmarks call it directly.
func (t *Trainer) StepOnce() (data.Position, float64, error) {
	pos, sr, err := t.stepOnce(false)
	return pos, sr.Loss, err
}

// stepOnce trains on the next mini-batch. With stop set, an engine whose
// members all live in this process stops without training, and the batch
// stays the next one; a member of a group of processes trains it and tells
// the others to stop.
func (t *Trainer) stepOnce(stop bool) (data.Position, StepResult, error) {
	pos, err := t.loader.Next(&t.x, &t.y)
	if err != nil {
		return pos, StepResult{}, fmt.Errorf("train: step %d: %w", t.step, err)
	}
	sr, err := t.eng.Step(t.step, &t.x, &t.y, stop)
	if err == nil && sr.Samples == 0 {
		return pos, sr, t.loader.Seek(pos)
	}
	if err != nil {
		if nf, ok := errors.AsType[*NonFiniteError](err); ok {
			nf.LastCheckpoint = t.lastCkpt
		}
		return pos, sr, err
	}
	t.step++
	t.last = sr
	t.exchange.steps++
	t.exchange.bytes += sr.Bytes
	t.exchange.state += sr.StateBytes
	return pos, sr, nil
}

// LastStep returns what the last step trained did.
func (t *Trainer) LastStep() StepResult { return t.last }

// Evaluate scores the network on the whole test set, in order.
func (t *Trainer) Evaluate() Evaluation {
	return t.eng.Evaluate(t.test, t.cfg.TestBatch)
}

func (t *Trainer) stop(res Result, d time.Duration, samples int64, cause error) (Result, error) {
	if t.cfg.CheckpointDir != "" && t.step > 0 {
		if err := t.checkpoint(); err != nil {
			return res, errors.Join(cause, err)
		}
	}
	return t.finish(res, d, samples), cause
}

func (t *Trainer) finish(res Result, d time.Duration, samples int64) Result {
	res.Steps = t.step
	res.Epochs = float64(t.step) / float64(t.loader.BatchesPerEpoch())
	res.TrainSeconds = d.Seconds()
	if d > 0 {
		res.SamplesPerSecond = float64(samples) / d.Seconds()
	}
	res.LastCheckpoint = t.lastCkpt
	res.StepsRun = t.exchange.steps
	res.BytesExchanged, res.StateBytes = t.exchange.bytes, t.exchange.state
	return res
}

// every reports whether step is a positive multiple of interval.
func every(step, interval int64) bool {
	return interval > 0 && step%interval == 0
}

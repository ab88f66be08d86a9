package train

import (
	"context"
	"errors"
	"fmt"
	"math"
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
}

// Trainer trains one network on one device. Build it with [New], resume it
// if needed with [Trainer.Resume], then [Trainer.Run] it once.
type Trainer struct {
	cfg    Config
	net    *model.Net
	params []*layer.Param
	solver *optim.Solver
	loader *data.Loader
	test   data.Dataset
	lctx   layer.Context
	rep    Reporter

	step         int64
	lastCkpt     string
	lastCkptStep int64
	x, y         tensor.Tensor
}

// New returns a trainer. lctx is the device's compute context; loader
// yields the training mini-batches and test, which may be nil, is the
// evaluation set.
func New(cfg Config, net *model.Net, solver *optim.Solver, loader *data.Loader,
	test data.Dataset, lctx layer.Context, rep Reporter) (*Trainer, error) {
	if cfg.Steps < 1 {
		return nil, fmt.Errorf("train: %d steps, want at least 1", cfg.Steps)
	}
	if cfg.CheckpointEvery > 0 && cfg.CheckpointDir == "" {
		return nil, errors.New("train: checkpoints asked for without a checkpoint folder")
	}
	if cfg.TestBatch == 0 {
		cfg.TestBatch = 1000
	}
	if rep == nil {
		rep = NopReporter{}
	}

	t := &Trainer{
		cfg: cfg, net: net, params: net.Params(), solver: solver,
		loader: loader, test: test, lctx: lctx, rep: rep,
	}
	if err := solver.Prepare(t.params); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return t, nil
}

// Step returns the number of steps done so far.
func (t *Trainer) Step() int64 { return t.step }

// Run trains until the configured number of steps is done, the context is
// cancelled (a checkpoint is then written if a folder is set), or the loss
// diverges (a *[NonFiniteError]; no checkpoint is written from a diverged
// model).
func (t *Trainer) Run(ctx context.Context) (Result, error) {
	var (
		res        Result
		trainTime  time.Duration
		windowTime time.Duration
		windowLoss float64
		windowN    int
		samples    int64
		windowSamp int64
		start      = time.Now()
	)

	for t.step < t.cfg.Steps {
		if err := ctx.Err(); err != nil {
			return t.stop(res, trainTime, samples, err)
		}

		began := time.Now()
		pos, loss, err := t.StepOnce()
		spent := time.Since(began)
		if err != nil {
			return res, err
		}
		trainTime += spent
		windowTime += spent
		windowLoss += loss
		windowN++
		samples += int64(t.x.Batch())
		windowSamp += int64(t.x.Batch())

		last := t.step == t.cfg.Steps
		if every(t.step, t.cfg.DisplayEvery) || last {
			t.rep.Progress(Progress{
				Step: t.step, TotalSteps: t.cfg.Steps, Epoch: pos.Epoch,
				Loss: windowLoss / float64(windowN), LR: t.solver.LR(t.step - 1),
				SamplesPerSecond: float64(windowSamp) / windowTime.Seconds(),
				Elapsed:          time.Since(start),
			})
			windowTime, windowLoss, windowN, windowSamp = 0, 0, 0, 0
		}
		if t.test != nil && (every(t.step, t.cfg.EvalEvery) || last) {
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
	}
	return t.finish(res, trainTime, samples), nil
}

// StepOnce trains on the next mini-batch: forward, backward and update. It
// returns the batch's position in the data and its mean loss. Run calls it;
// benchmarks call it directly.
func (t *Trainer) StepOnce() (data.Position, float64, error) {
	pos := t.loader.Next(&t.x, &t.y)
	loss, err := t.trainStep()
	return pos, loss, err
}

// trainStep runs forward, backward and update on the batch in t.x, t.y,
// and returns the mean loss.
func (t *Trainer) trainStep() (float64, error) {
	t.lctx.Train = true
	t.lctx.Step = t.step
	t.lctx.SampleOffset = 0

	n := t.x.Batch()
	loss := t.net.Forward(&t.lctx, &t.x, &t.y) / float64(n)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, &NonFiniteError{Step: t.step, Loss: loss, What: "loss",
			LastCheckpoint: t.lastCkpt}
	}

	t.net.Backward(&t.lctx, 1/float32(n))
	t.solver.Update(t.step, t.params)
	t.step++
	return loss, nil
}

// Evaluate scores the network on the whole test set, in order.
func (t *Trainer) Evaluate() Evaluation {
	loader, err := data.NewLoader(t.test, data.LoaderConfig{
		BatchSize: t.cfg.TestBatch, Threads: t.lctx.Threads,
	})
	if err != nil {
		// The test set was checked when the run was built; an empty one
		// scores nothing.
		return Evaluation{}
	}

	ctx := t.lctx
	ctx.Train = false
	var x, y tensor.Tensor
	var e Evaluation
	var lossSum float64
	correct := 0
	for b := 0; b < loader.BatchesPerEpoch(); b++ {
		loader.Next(&x, &y)
		lossSum += t.net.Forward(&ctx, &x, &y)
		correct += t.net.Correct()
		e.Samples += x.Batch()
	}
	e.Loss = lossSum / float64(e.Samples)
	e.Accuracy = float64(correct) / float64(e.Samples)
	return e
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
	return res
}

// every reports whether step is a positive multiple of interval.
func every(step, interval int64) bool {
	return interval > 0 && step%interval == 0
}

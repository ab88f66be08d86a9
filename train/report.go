package train

import "time"

// Progress is the state of a run after a step, reported to a [Reporter].
type Progress struct {
	Step       int64 // steps done, counted from the start of the run
	TotalSteps int64 // steps the run will take in all
	Epoch      int   // epoch of the last step, from 0
	Loss       float64
	LR         float32

	// SamplesPerSecond is the training throughput since the previous
	// report, counting only time spent training (not evaluating or
	// writing checkpoints).
	SamplesPerSecond float64
	Elapsed          time.Duration

	// StepSeconds is the mean time of a step in the interval. On several
	// devices ComputeSeconds is the part the (leader's) device spent in
	// forward and backward passes, ExchangeSeconds the time the exchange
	// took, mostly overlapped with the backward pass, and WaitSeconds the
	// part of it the device waited for; all per step, 0 on one device.
	StepSeconds, ComputeSeconds, ExchangeSeconds, WaitSeconds float64

	// BytesPerStep is what this member sent per step in exchanges (0 on
	// one device), and StateBytesPerStep the part of it that carried
	// solver state.
	BytesPerStep, StateBytesPerStep float64
}

// Evaluation is the score of the model on the test set.
type Evaluation struct {
	Step     int64
	Epoch    int
	Samples  int
	Loss     float64 // mean cross-entropy per sample
	Accuracy float64 // fraction of samples classified right, in [0, 1]
}

// Reporter receives what happens during a run. The training loop calls it
// on its own goroutine; a slow reporter slows training.
type Reporter interface {
	// Progress is called every display interval and after the last step.
	Progress(Progress)
	// Evaluated is called after each evaluation on the test set.
	Evaluated(Evaluation)
	// Checkpointed is called after a checkpoint is written.
	Checkpointed(path string, step int64)
}

// NopReporter ignores every report.
type NopReporter struct{}

// Progress implements [Reporter].
func (NopReporter) Progress(Progress) {}

// Evaluated implements [Reporter].
func (NopReporter) Evaluated(Evaluation) {}

// Checkpointed implements [Reporter].
func (NopReporter) Checkpointed(string, int64) {}

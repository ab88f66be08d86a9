package main

import (
	"log/slog"

	"github.com/mariana-dl/mariana/data/pipeline"
	"github.com/mariana-dl/mariana/train"
)

// pipelineReporter logs the input pipeline's stage counters after every
// evaluation (by default the end of each epoch) and after the last step,
// so that a user sees which stage limits the throughput.
type pipelineReporter struct {
	train.Reporter
	log *slog.Logger
	p   *pipeline.Pipeline
}

// Evaluated implements [train.Reporter].
func (r *pipelineReporter) Evaluated(e train.Evaluation) {
	r.Reporter.Evaluated(e)
	logPipeline(r.log, r.p.Counters(), e.Epoch+1)
}

// logPipeline logs one line per stage, and the stage that limits.
func logPipeline(log *slog.Logger, c pipeline.Counters, epoch int) {
	for _, st := range c.Stages() {
		log.Info("input pipeline stage", "epoch", epoch, "stage", st.Name,
			"batches", st.Batches, "busy_s", round(st.Busy.Seconds(), 3),
			"wait_input_s", round(st.WaitInput.Seconds(), 3),
			"wait_output_s", round(st.WaitOutput.Seconds(), 3),
			"busy_share", round(st.Utilisation(), 3))
	}
	log.Info("input pipeline", "epoch", epoch, "bottleneck", c.Bottleneck())
}

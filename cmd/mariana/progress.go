package main

import (
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/mariana-dl/mariana/train"
)

// barReporter draws one progress line that redraws in place, for a
// terminal; evaluations and checkpoints are printed above it.
type barReporter struct {
	w     io.Writer
	width int
	last  time.Time
}

func (r *barReporter) Progress(p train.Progress) {
	// Redrawing more often than a few times a second only costs time.
	if p.Step != p.TotalSteps && time.Since(r.last) < 100*time.Millisecond {
		return
	}
	r.last = time.Now()

	frac := float64(p.Step) / float64(max(p.TotalSteps, 1))
	text := fmt.Sprintf(" %3.0f%% step %d/%d epoch %d loss %.4f %.0f samples/s lr %.3g",
		100*frac, p.Step, p.TotalSteps, p.Epoch+1, p.Loss, p.SamplesPerSecond, p.LR)
	if p.BytesPerStep > 0 {
		text += fmt.Sprintf(" | compute %.0f ms exchange %.0f ms (wait %.1f) %.1f MB/step",
			1e3*p.ComputeSeconds, 1e3*p.ExchangeSeconds, 1e3*p.WaitSeconds,
			p.BytesPerStep/1e6)
	}
	barLen := max(r.width-len(text)-3, 10)
	filled := int(frac * float64(barLen))
	bar := strings.Repeat("=", filled) + strings.Repeat(" ", barLen-filled)
	fmt.Fprintf(r.w, "\r[%s]%s\x1b[K", bar, text)
	if p.Step == p.TotalSteps {
		fmt.Fprintln(r.w)
	}
}

func (r *barReporter) Evaluated(e train.Evaluation) {
	fmt.Fprintf(r.w, "\r\x1b[Kepoch %d step %d: test accuracy %.2f%% loss %.4f (%d samples)\n",
		e.Epoch+1, e.Step, 100*e.Accuracy, e.Loss, e.Samples)
}

func (r *barReporter) Checkpointed(path string, step int64) {
	fmt.Fprintf(r.w, "\r\x1b[Kcheckpoint %s (step %d)\n", path, step)
}

// logReporter writes one structured line per display interval, for logs
// and pipes.
type logReporter struct {
	log *slog.Logger
}

func (r *logReporter) Progress(p train.Progress) {
	attrs := []any{
		"step", p.Step,
		"steps", p.TotalSteps,
		"epoch", p.Epoch + 1,
		"loss", round(p.Loss, 4),
		"samples_per_s", round(p.SamplesPerSecond, 0),
		"lr", strconv.FormatFloat(float64(p.LR), 'g', -1, 32),
		"elapsed", p.Elapsed.Round(time.Millisecond),
	}
	if p.BytesPerStep > 0 {
		// Per step: the device's forward and backward passes, the
		// exchange (mostly overlapped with backward), the part of it the
		// device waited for, and the bytes it sent.
		attrs = append(attrs,
			"step_ms", round(1e3*p.StepSeconds, 2),
			"compute_ms", round(1e3*p.ComputeSeconds, 2),
			"exchange_ms", round(1e3*p.ExchangeSeconds, 2),
			"wait_ms", round(1e3*p.WaitSeconds, 2),
			"exchanged_bytes_per_step", int64(p.BytesPerStep))
		if p.StateBytesPerStep > 0 {
			attrs = append(attrs, "solver_state_bytes_per_step", int64(p.StateBytesPerStep))
		}
	}
	r.log.Info("step", attrs...)
}

func (r *logReporter) Evaluated(e train.Evaluation) {
	r.log.Info("evaluated",
		"step", e.Step,
		"epoch", e.Epoch+1,
		"accuracy", round(e.Accuracy, 4),
		"loss", round(e.Loss, 4),
		"samples", e.Samples)
}

func (r *logReporter) Checkpointed(path string, step int64) {
	r.log.Info("checkpoint written", "path", path, "step", step)
}

// round keeps digits decimals of v, so that log lines stay short.
func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/train"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// metaSpec is the checkpoint metadata key holding the spec's source, so
// that eval and resume rebuild exactly the network that was trained.
const metaSpec = "mariana.spec"

type trainFlags struct {
	resume      string
	threads     int
	metricsJSON string
	plain       bool
	parallel    parallelFlags
}

// register adds the flags of train (and of worker, which trains too).
func (f *trainFlags) register(fs *pflag.FlagSet, withDevices bool) {
	fs.StringVar(&f.resume, "resume", "",
		"continue the run saved in this checkpoint")
	fs.IntVar(&f.threads, "threads", 0,
		"CPU threads to compute with, shared by the devices (default: the spec's, "+
			"else every core)")
	fs.StringVar(&f.metricsJSON, "metrics-json", "",
		"write the final metrics as JSON to this file (- for standard output)")
	fs.BoolVar(&f.plain, "plain", false,
		"log one line per interval even on a terminal")
	f.parallel.register(fs, withDevices)
}

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train SPEC",
		Short: "Train the network a spec describes",
		Long: "Train the network a spec describes, evaluating on the test set and writing\n" +
			"checkpoints as the spec's train section says. Ctrl-C writes a checkpoint and stops.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runTrain(cmd, args[0], f)
		},
	}
	f.register(cmd.Flags(), true)
	return cmd
}

func runTrain(cmd *cobra.Command, arg string, f trainFlags) error {
	log := newLogger()
	s, src, err := loadSpec(arg)
	if err != nil {
		return err
	}

	job, err := train.Build(s, train.Options{Threads: f.threads})
	if err != nil {
		return err
	}
	defer job.Close()
	eng, done, err := newEngine(log, job, f.parallel, job.Context.Threads)
	if err != nil {
		return err
	}
	defer done()
	return trainWith(cmd.Context(), log, job, src, eng, f)
}

// trainWith trains job with eng: in this process on one or more devices,
// or as one member of a group of processes (only the leader reports).
func trainWith(ctx context.Context, log *slog.Logger, job *train.Job, src []byte,
	eng train.Engine, f trainFlags) error {
	s := job.Spec
	cfg := job.Config()
	cfg.Metadata = map[string]string{metaSpec: string(src), metaSpecFile: specFile(s)}

	rep := reporter(log, f.plain)
	if job.Pipeline != nil {
		rep = &pipelineReporter{Reporter: rep, log: log, p: job.Pipeline}
	}
	tr, err := train.NewWithEngine(cfg, eng, job.Batches(), job.Test, rep)
	if err != nil {
		return err
	}
	if f.resume != "" {
		c, err := checkpoint.Read(f.resume)
		if err != nil {
			return err
		}
		if err := tr.Resume(c); err != nil {
			return fmt.Errorf("%s: %w", f.resume, err)
		}
		log.Info("resumed", "checkpoint", f.resume, "step", tr.Step())
	}

	log.Info("training",
		"spec", s.Name,
		"params", countParams(job),
		"steps", cfg.Steps,
		"batch", s.Train.Batch,
		"threads", job.Context.Threads,
		"blas", auto.Describe(),
		"solver", optim.Describe(job.Solver.Config()))

	res, err := tr.Run(ctx)
	if err != nil {
		return err
	}

	if res.Final != nil {
		fmt.Printf("%s: test accuracy %.2f%% (loss %.4f) after %d steps, %.1f epochs; "+
			"training took %.1f s at %.0f samples/s\n",
			s.Name, 100*res.Final.Accuracy, res.Final.Loss, res.Steps, res.Epochs,
			res.TrainSeconds, res.SamplesPerSecond)
	}
	if !eng.Leader() {
		return nil
	}
	return writeMetrics(f.metricsJSON, s.Name, res)
}

// reporter picks a progress bar for a terminal and log lines otherwise.
func reporter(log *slog.Logger, plain bool) train.Reporter {
	fd := int(os.Stdout.Fd())
	if !plain && term.IsTerminal(fd) {
		width, _, err := term.GetSize(fd)
		if err != nil || width <= 0 {
			width = 80
		}
		return &barReporter{w: os.Stdout, width: width}
	}
	return &logReporter{log: log}
}

func countParams(job *train.Job) int {
	n := 0
	for _, p := range job.Net.Params() {
		n += p.Value.Len()
	}
	return n
}

// metrics is the JSON form of a run's result, for scripts.
type metrics struct {
	Spec             string   `json:"spec"`
	Steps            int64    `json:"steps"`
	Epochs           float64  `json:"epochs"`
	TestAccuracy     *float64 `json:"test_accuracy,omitempty"`
	TestLoss         *float64 `json:"test_loss,omitempty"`
	TestSamples      int      `json:"test_samples,omitempty"`
	TrainSeconds     float64  `json:"train_seconds"`
	SamplesPerSecond float64  `json:"samples_per_second"`
	Checkpoint       string   `json:"checkpoint,omitempty"`

	// Data-parallel runs: bytes this process sent in exchanges, in all
	// and per step, and the part of them that carried solver state.
	BytesExchanged    uint64  `json:"bytes_exchanged,omitempty"`
	BytesPerStep      float64 `json:"bytes_exchanged_per_step,omitempty"`
	StateBytesPerStep float64 `json:"solver_state_bytes_per_step,omitempty"`
}

func writeMetrics(path, name string, res train.Result) error {
	if path == "" {
		return nil
	}
	m := metrics{
		Spec: name, Steps: res.Steps, Epochs: res.Epochs, TrainSeconds: res.TrainSeconds,
		SamplesPerSecond: res.SamplesPerSecond, Checkpoint: res.LastCheckpoint,
		BytesExchanged: res.BytesExchanged,
	}
	if res.StepsRun > 0 {
		m.BytesPerStep = float64(res.BytesExchanged) / float64(res.StepsRun)
		m.StateBytesPerStep = float64(res.StateBytes) / float64(res.StepsRun)
	}
	if res.Final != nil {
		m.TestAccuracy, m.TestLoss = &res.Final.Accuracy, &res.Final.Loss
		m.TestSamples = res.Final.Samples
	}
	return writeJSON(path, m)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// specFile returns the absolute path a spec was read from, or its example
// name when it came from the binary.
func specFile(s *spec.Spec) string {
	if abs, err := filepath.Abs(s.File); err == nil {
		if _, err := os.Stat(abs); err == nil {
			return abs
		}
	}
	return s.File
}

package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/train"
	"github.com/spf13/cobra"
)

type benchFlags struct {
	epochs, epochSize, warmup, threads, classes int
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench SPEC",
		Short: "Measure training throughput of a spec's network on random data",
		Long: "Train the spec's network on random data of its input shape and print the\n" +
			"training samples per second of each epoch and their median. Only the training\n" +
			"steps are timed; the data are random normal values with uniform labels.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBench(cmd, args[0], f)
		},
	}
	cmd.Flags().IntVar(&f.epochs, "epochs", 3, "timed epochs")
	cmd.Flags().IntVar(&f.epochSize, "epoch-size", 0,
		"samples per epoch (default 60000 for 28x28 inputs, else 50000)")
	cmd.Flags().IntVar(&f.warmup, "warmup", 30, "untimed steps before the first epoch")
	cmd.Flags().IntVar(&f.threads, "threads", 0, "CPU threads (default: every core)")
	cmd.Flags().IntVar(&f.classes, "classes", 10, "number of label values")
	return cmd
}

func runBench(cmd *cobra.Command, arg string, f benchFlags) error {
	s, _, err := loadSpec(arg)
	if err != nil {
		return err
	}
	n := f.epochSize
	if n == 0 {
		n = 50000
		if s.Model.Input.Size() == 784 {
			n = 60000
		}
	}

	job, err := train.Build(s, train.Options{
		Threads: f.threads,
		Data: func(s *spec.Spec) (data.Dataset, data.Dataset, error) {
			ds, err := data.NewRandom(s.Model.Input, f.classes, n, s.Seed)
			return ds, nil, err
		},
	})
	if err != nil {
		return err
	}
	steps := int64(f.warmup + f.epochs*job.Loader.BatchesPerEpoch())
	tr, err := train.New(train.Config{Steps: steps}, job.Net, job.Solver, job.Loader, nil,
		job.Context, nil)
	if err != nil {
		return err
	}

	fmt.Printf("# mariana %s batch=%d samples_per_epoch=%d threads=%d blas=%s\n",
		s.Name, s.Train.Batch, n, job.Context.Threads, job.Context.BLAS.Name())
	for range f.warmup {
		if _, _, err := tr.StepOnce(); err != nil {
			return err
		}
	}

	var rates []float64
	for epoch := range f.epochs {
		if err := cmd.Context().Err(); err != nil {
			return err
		}
		start := time.Now()
		var loss float64
		samples := 0
		for range job.Loader.BatchesPerEpoch() {
			if _, loss, err = tr.StepOnce(); err != nil {
				return err
			}
			samples += s.Train.Batch
		}
		secs := time.Since(start).Seconds()
		rates = append(rates, float64(samples)/secs)
		fmt.Printf("model=%s epoch=%d samples=%d seconds=%.2f samples_per_s=%.1f loss=%.4f\n",
			s.Name, epoch, samples, secs, rates[epoch], loss)
	}
	slices.Sort(rates)
	fmt.Printf("summary model=%s threads=%d median_samples_per_s=%.1f min=%.1f max=%.1f epochs=%d\n",
		s.Name, job.Context.Threads, rates[len(rates)/2], rates[0], rates[len(rates)-1],
		len(rates))
	return nil
}

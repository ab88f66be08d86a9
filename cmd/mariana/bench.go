package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/train"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

type benchFlags struct {
	epochs, epochSize, warmup, threads, classes, batch int
	cpuProfile                                         string
	parallel                                           parallelFlags
	predict                                            predictFlags
}

// register adds the flags of bench (and of worker and launch --bench).
func (f *benchFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&f.epochs, "epochs", 3, "timed epochs")
	fs.IntVar(&f.epochSize, "epoch-size", 0,
		"samples per epoch (default 60000 for 28x28 inputs, else 50000)")
	fs.IntVar(&f.warmup, "warmup", 30, "untimed steps before the first epoch")
	fs.IntVar(&f.classes, "classes", 10, "number of label values")
	fs.IntVar(&f.batch, "batch", 0, "the global mini-batch, split among the devices "+
		"(default: the spec's train.batch)")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "",
		"write a CPU profile of the timed epochs to this file (go tool pprof reads it)")
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench SPEC",
		Short: "Measure training throughput of a spec's network on random data",
		Long: "Train the spec's network on random data of its input shape and print the\n" +
			"training samples per second of each epoch and their median. Only the training\n" +
			"steps are timed; the data are random normal values with uniform labels.\n" +
			"With --devices N the network trains data-parallel on N devices that share\n" +
			"--threads; the summary then also gives the split of a step between compute and\n" +
			"exchange and the bytes each device sends per step.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBench(cmd, args[0], f)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().IntVar(&f.threads, "threads", 0, "CPU threads, shared by the devices "+
		"(default: every core)")
	f.parallel.register(cmd.Flags(), true)
	fs := cmd.Flags()
	fs.StringVar(&f.predict.members, "predict", "", "instead of measuring throughput, "+
		"measure a step on one device and print the scaling model's speed-up for these "+
		"group sizes, such as 2,4,6,8")
	fs.StringVar(&f.predict.deviceLink, "device-link", "", "the link between in-process "+
		"devices for --predict, LATENCY,BANDWIDTH in s and B/s (default: exchange's fit)")
	fs.StringVar(&f.predict.loopLink, "loopback-link", "", "the link between processes of "+
		"one host for --predict (default: exchange's fit)")
	fs.StringVar(&f.predict.netLink, "network-link", "", "the link between hosts for "+
		"--predict (default 50e-6,1.1e9: 10 Gb/s Ethernet)")
	return cmd
}

// benchJob builds a spec's job on random data, for bench and worker.
func benchJob(arg string, f benchFlags) (*train.Job, error) {
	s, _, err := loadSpec(arg)
	if err != nil {
		return nil, err
	}
	switch {
	case f.batch < 0:
		return nil, fmt.Errorf("bench: --batch must be positive, got %d", f.batch)
	case f.batch > 0:
		s.Train.Batch = f.batch
	}
	n := f.epochSize
	if n == 0 {
		n = 50000
		if s.Model.Input.Size() == 784 {
			n = 60000
		}
	}
	return train.Build(s, train.Options{
		Threads: f.threads,
		Data: func(s *spec.Spec) (data.Dataset, data.Dataset, error) {
			ds, err := data.NewRandom(s.Model.Input, f.classes, n, s.Seed)
			return ds, nil, err
		},
	})
}

func runBench(cmd *cobra.Command, arg string, f benchFlags) error {
	job, err := benchJob(arg, f)
	if err != nil {
		return err
	}
	if f.predict.members != "" {
		return runPredict(job, f.predict, f.parallel.config(job.Spec))
	}
	log := newLogger()
	eng, done, err := newEngine(log, job, f.parallel, job.Context.Threads)
	if err != nil {
		return err
	}
	defer done()
	return benchWith(cmd.Context(), job, eng, f.parallel.replicas(job.Spec), f)
}

// benchWith times training steps of job on eng; devices is the number of
// replicas in the whole group. Only the leader prints.
func benchWith(ctx context.Context, job *train.Job, eng train.Engine, devices int,
	f benchFlags) error {
	s := job.Spec
	steps := int64(f.warmup + f.epochs*job.Loader.BatchesPerEpoch())
	tr, err := train.NewWithEngine(train.Config{Steps: steps}, eng, job.Batches(), nil, nil)
	if err != nil {
		return err
	}
	out := io.Discard
	if eng.Leader() {
		out = os.Stdout
	}

	fmt.Fprintf(out, "# mariana %s batch=%d samples_per_epoch=%d threads=%d devices=%d blas=%s\n",
		s.Name, s.Train.Batch, job.Train.Len(), job.Context.Threads, devices,
		job.Context.BLAS.Name())
	for range f.warmup {
		if _, _, err := tr.StepOnce(); err != nil {
			return err
		}
	}

	if f.cpuProfile != "" && eng.Leader() {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	var rates []float64
	var total train.StepResult
	var totalSteps int
	cpu0, wall0 := cpuTime(), time.Now()
	for epoch := range f.epochs {
		if err := ctx.Err(); err != nil {
			return err
		}
		start := time.Now()
		var loss float64
		samples := 0
		for range job.Loader.BatchesPerEpoch() {
			if _, loss, err = tr.StepOnce(); err != nil {
				return err
			}
			sr := tr.LastStep()
			total.Compute += sr.Compute
			total.Exchange += sr.Exchange
			total.Wait += sr.Wait
			total.Bytes += sr.Bytes
			total.StateBytes += sr.StateBytes
			totalSteps++
			samples += s.Train.Batch
		}
		secs := time.Since(start).Seconds()
		rates = append(rates, float64(samples)/secs)
		fmt.Fprintf(out, "model=%s epoch=%d samples=%d seconds=%.2f samples_per_s=%.1f "+
			"loss=%.4f\n", s.Name, epoch, samples, secs, rates[epoch], loss)
	}
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	slices.Sort(rates)

	// The CPU time this process spent per sample, and its share of the
	// wall time, show what a run costs whatever else the machine runs.
	extra := fmt.Sprintf(" cpu_us_per_sample=%.1f cpu_busy=%.2f",
		1e6*cpu.Seconds()/float64(totalSteps*s.Train.Batch), cpu.Seconds()/wall.Seconds())
	if devices > 1 {
		per := float64(totalSteps)
		extra += fmt.Sprintf(" compute_ms=%.2f exchange_ms=%.2f wait_ms=%.2f "+
			"bytes_per_step=%.0f state_bytes_per_step=%.0f",
			1e3*total.Compute.Seconds()/per, 1e3*total.Exchange.Seconds()/per,
			1e3*total.Wait.Seconds()/per, float64(total.Bytes)/per,
			float64(total.StateBytes)/per)
	}
	fmt.Fprintf(out, "summary model=%s threads=%d devices=%d median_samples_per_s=%.1f "+
		"min=%.1f max=%.1f epochs=%d%s\n",
		s.Name, job.Context.Threads, devices, rates[len(rates)/2], rates[0],
		rates[len(rates)-1], len(rates), extra)
	return nil
}

// Command mpbench measures the model-parallel framework on one machine:
// training samples per second of a spec's network on one device, cut into
// columns on several devices (model parallelism), and as replicas in
// several worker groups (data parallelism), on random data of the
// network's shape; and the memory each device holds, from the device
// accounting.
//
//	go run ./partition/cmd/mpbench -spec alexnet-small -steps 3 -rounds 5
//
// Every device gets -threads threads (default 1). The configurations take
// turns: each round times every configuration once, in order, so that a
// change in the machine's other load falls on all of them alike. The
// speedup of a configuration is the median over the rounds of its rate
// over the baseline's in the same round; the spread of the rounds is
// printed beside it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/mariana-dl/mariana/examples"
	"github.com/mariana-dl/mariana/partition"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/tensor"
)

func main() {
	specName := flag.String("spec", "alexnet-small", "example name or spec file")
	batch := flag.Int("batch", 0, "mini-batch size (default: the spec's)")
	steps := flag.Int("steps", 3, "timed steps per configuration and round")
	rounds := flag.Int("rounds", 5, "rounds; the medians count")
	warmup := flag.Int("warmup", 2, "untimed steps of each configuration first")
	configs := flag.String("configs", "1x1,1x2,2x1",
		"configurations GROUPSxWORKERS, comma-separated; the first is the baseline")
	threads := flag.Int("threads", 1, "threads per device")
	pin := flag.Bool("pin", true, "pin each device to its own core when the cores allow")
	plan := flag.Bool("plan", false, "print the plan of each configuration")
	cpuProfile := flag.String("cpuprofile", "",
		"write a CPU profile of the whole run to this file (go tool pprof reads it)")
	flag.Parse()

	b := bench{batch: *batch, steps: *steps, rounds: *rounds, warmup: *warmup,
		threads: *threads, pin: *pin, plan: *plan}
	err := profiled(*cpuProfile, func() error {
		return b.run(*specName, strings.Split(*configs, ","))
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "mpbench:", err)
		os.Exit(1)
	}
}

// profiled runs fn under a CPU profile written to path, or without one
// when path is empty.
func profiled(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	runErr := fn()
	pprof.StopCPUProfile()
	return errors.Join(runErr, f.Close())
}

type bench struct {
	batch, steps, rounds, warmup, threads int
	pin, plan                             bool
}

// config is one configuration under test.
type config struct {
	name   string
	r      *partition.Runner
	rates  []float64 // samples per second of each round
	ratios []float64 // rates over the baseline's in the same round
}

func (b bench) run(name string, configs []string) error {
	s, err := load(name)
	if err != nil {
		return err
	}
	if b.batch > 0 {
		s.Train.Batch = b.batch
	}
	x, y := randomBatch(s.Train.Batch, s.Model.Input, max(s.Data.Classes(), 2))
	fmt.Printf("# %s batch=%d steps=%d rounds=%d warmup=%d threads/device=%d pin=%v\n",
		s.Name, s.Train.Batch, b.steps, b.rounds, b.warmup, b.threads, b.pin)

	var cs []*config
	defer func() {
		for _, c := range cs {
			c.r.Close()
		}
	}()
	for _, text := range configs {
		c, err := b.start(s, text, x, y)
		if err != nil {
			return fmt.Errorf("%s: %w", text, err)
		}
		cs = append(cs, c)
	}

	for range b.rounds {
		for _, c := range cs {
			start := time.Now()
			for range b.steps {
				if _, err := c.r.Step(x, y); err != nil {
					return fmt.Errorf("%s: %w", c.name, err)
				}
			}
			c.rates = append(c.rates, float64(b.steps*x.Batch())/time.Since(start).Seconds())
			c.ratios = append(c.ratios, c.rates[len(c.rates)-1]/cs[0].rates[len(c.rates)-1])
		}
	}

	var peaks []int64
	for _, c := range cs {
		peaks = append(peaks, report(c))
	}
	fmt.Println()
	fmt.Println("| configuration (groups x workers) | samples/s median | min-max | speedup " +
		"median (min-max) | peak memory per device | of one device |")
	fmt.Println("|---|---|---|---|---|---|")
	for i, c := range cs {
		fmt.Printf("| %s | %.1f | %.1f-%.1f | %.2fx (%.2f-%.2f) | %.1f MiB | %.1f%% |\n",
			c.name, median(c.rates), slices.Min(c.rates), slices.Max(c.rates),
			median(c.ratios), slices.Min(c.ratios), slices.Max(c.ratios), mib(peaks[i]),
			100*float64(peaks[i])/float64(peaks[0]))
	}
	return nil
}

// start builds configuration text, GROUPSxWORKERS, and warms it up.
func (b bench) start(s *spec.Spec, text string, x, y *tensor.Tensor) (*config, error) {
	var groups, workers int
	if _, err := fmt.Sscanf(text, "%dx%d", &groups, &workers); err != nil {
		return nil, fmt.Errorf("want GROUPSxWORKERS")
	}
	cfg := partition.FromSpec(s)
	cfg.Groups, cfg.Workers = groups, workers
	if workers == 1 {
		cfg.Split = spec.SplitNone
	} else if cfg.Split == spec.SplitNone {
		cfg.Split = spec.SplitColumns
	}
	r, err := partition.Build(s, cfg, partition.Options{
		Threads: groups * workers * b.threads, Pin: b.pin})
	if err != nil {
		return nil, err
	}
	if b.plan {
		fmt.Print(r.Plan())
	}
	for range b.warmup {
		if _, err := r.Step(x, y); err != nil {
			r.Close()
			return nil, err
		}
	}
	return &config{name: describe(groups, workers), r: r}, nil
}

// report prints what each worker of c did and held, and returns the
// largest peak memory of its devices.
func report(c *config) int64 {
	var peak int64
	for _, st := range c.r.Stats() {
		m := st.Memory
		peak = max(peak, m["peak"])
		fmt.Printf("%s: group %d worker %d (%s): busy %.2fs, waiting %.2fs, exchange %.2fs, "+
			"update %.2fs, transfers %.1f MiB; memory peak %.1f MiB (parameters %.1f, "+
			"gradients %.1f, solver %.1f, activations %.1f, transfer %.1f)\n", c.name,
			st.Group, st.Partition, st.Device, (st.Forward + st.Backward).Seconds(),
			st.Wait.Seconds(), st.Exchange.Seconds(), st.Update.Seconds(),
			mib(st.TransferBytes), mib(m["peak"]), mib(m["parameters"]), mib(m["gradients"]),
			mib(m["solver_state"]), mib(m["activations"]), mib(m["transfer"]))
	}
	fmt.Printf("%s: samples/s per round %s\n", c.name, rounded(c.rates))
	return peak
}

func load(name string) (*spec.Spec, error) {
	if slices.Contains(examples.Names(), name) {
		return examples.Load(name)
	}
	return spec.Load(name)
}

// describe names a configuration in the words of the Mariana paper.
func describe(groups, workers int) string {
	switch {
	case groups == 1 && workers == 1:
		return "1x1 one device"
	case groups == 1:
		return fmt.Sprintf("1x%d %d-way model parallel", workers, workers)
	case workers == 1:
		return fmt.Sprintf("%dx1 %d-way data parallel", groups, groups)
	}
	return fmt.Sprintf("%dx%d model and data parallel", groups, workers)
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func rounded(v []float64) string {
	out := make([]string, len(v))
	for i, f := range v {
		out[i] = fmt.Sprintf("%.1f", f)
	}
	return strings.Join(out, " ")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// randomBatch returns one mini-batch of values in [-1, 1] with labels in
// [0, classes), fixed for the whole run: the benchmark times training,
// not data loading.
func randomBatch(n int, shape tensor.Shape, classes int) (x, y *tensor.Tensor) {
	x = tensor.New(shape.WithBatch(n)...)
	y = tensor.New(n, 1)
	state := uint64(1)
	next := func() uint64 {
		state = state*6364136223846793005 + 1442695040888963407
		return state >> 33
	}
	for i := range x.Data {
		x.Data[i] = float32(int64(next()%2001)-1000) / 1000
	}
	for i := range y.Data {
		y.Data[i] = float32(next() % uint64(classes))
	}
	return x, y
}

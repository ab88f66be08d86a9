package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/mariana-dl/mariana/dataparallel"
	"github.com/mariana-dl/mariana/device"
	"github.com/mariana-dl/mariana/partition"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/train"
	"github.com/spf13/pflag"
)

// parallelFlags are the data-parallel options of train, bench, worker and
// launch.
type parallelFlags struct {
	devices  int
	exchange string
	ordered  bool
	state    string
	timeout  time.Duration
	pin      bool
}

// register adds the flags; withDevices adds --devices (not for worker and
// launch, which run one device per process).
func (p *parallelFlags) register(fs *pflag.FlagSet, withDevices bool) {
	if withDevices {
		fs.IntVar(&p.devices, "devices", 0,
			"data-parallel replicas in this process, one per device, sharing --threads "+
				"(default: the spec's parallel.devices, else 1)")
		fs.BoolVar(&p.pin, "pin", false, "pin each device's thread to cores of its own "+
			"when --threads fits in the machine (helps large networks; the exchange's "+
			"own goroutines stay unpinned, so small ones run better without)")
	}
	fs.StringVar(&p.exchange, "exchange", "",
		"exchange algorithm: auto, chain, ring, tree or central (default: the spec's "+
			"parallel.exchange, else auto)")
	fs.BoolVar(&p.ordered, "ordered", false,
		"sum gradients in rank order, so that results do not depend on the algorithm")
	fs.StringVar(&p.state, "solver-state", string(dataparallel.OwnerState),
		"where the solver's history lives: owner (with each partition's owner, "+
			"Mariana's approximate AdaGrad) or replicated (on every replica, exchanged "+
			"every step)")
	fs.DurationVar(&p.timeout, "exchange-timeout", 0,
		"fail the job when a device or peer process keeps the others waiting this long "+
			"(default 1m)")
}

// replicas returns the number of in-process devices asked for.
func (p *parallelFlags) replicas(s *spec.Spec) int {
	if p.devices > 0 {
		return p.devices
	}
	return max(s.Parallel.Devices, 1)
}

// config returns the group's configuration.
func (p *parallelFlags) config(s *spec.Spec) dataparallel.Config {
	alg := p.exchange
	if alg == "" {
		alg = string(s.Parallel.Exchange)
	}
	return dataparallel.Config{
		Algorithm: alg,
		Ordered:   p.ordered,
		State:     dataparallel.StateMode(p.state),
		Timeout:   p.timeout,
	}
}

// newEngine returns the engine a job trains with in this process: one
// device, or a group of in-process devices sharing threads. done closes
// it.
func newEngine(log *slog.Logger, job *train.Job, p parallelFlags,
	threads int) (eng train.Engine, done func(), err error) {
	if s := job.Spec; s.Parallel.Groups > 1 || s.Parallel.Workers > 1 {
		return newPartitionedEngine(log, job, p, threads)
	}
	n := p.replicas(job.Spec)
	if n == 1 {
		e, err := train.NewSingle(job.Net, job.Solver, job.Context)
		return e, func() {}, err
	}
	if job.Spec.Train.Batch < n {
		return nil, nil, fmt.Errorf("%s: train.batch %d cannot be shared by %d devices",
			job.Spec.File, job.Spec.Train.Batch, n)
	}

	split := device.SplitCPUs
	if p.pin {
		split = device.SplitPinnedCPUs
	}
	cpus, err := split(n, threads)
	if err != nil {
		return nil, nil, err
	}
	devs := make([]device.Device, n)
	for i, c := range cpus {
		devs[i] = c
		log.Info("device", "device", c.String())
	}
	closeDevices := func() {
		for _, d := range devs {
			d.Close()
		}
	}
	g, err := dataparallel.NewLocal(job, devs, p.config(job.Spec))
	if err != nil {
		closeDevices()
		return nil, nil, err
	}
	log.Info("exchange plan", "plan", g.Plan().String())
	return g, func() {
		logMemory(log, g)
		g.Close()
		closeDevices()
	}, nil
}

// logMemory writes what each device of a group holds.
func logMemory(log *slog.Logger, g *dataparallel.Group) {
	for i, d := range g.Devices() {
		m := g.Memory()[i].Snapshot()
		log.Info("device memory", "device", d.Name(),
			"parameters_mb", mb(m["parameters"]), "gradients_mb", mb(m["gradients"]),
			"solver_state_mb", mb(m["solver_state"]), "activations_mb", mb(m["activations"]),
			"transfer_mb", mb(m["transfer"]), "peak_mb", mb(m["peak"]))
	}
}

func mb(b int64) float64 { return round(float64(b)/1e6, 1) }

// newPartitionedEngine returns the model-parallel engine: the spec's worker
// groups, each worker a device holding one partition of the network. The
// plan is logged before training starts.
func newPartitionedEngine(log *slog.Logger, job *train.Job, p parallelFlags,
	threads int) (train.Engine, func(), error) {
	e, err := partition.NewEngine(job, partition.Options{
		Threads: threads, Timeout: p.timeout, Pin: p.pin,
	})
	if err != nil {
		return nil, nil, err
	}
	log.Info("model-parallel plan",
		"groups", job.Spec.Parallel.Groups,
		"workers", job.Spec.Parallel.Workers,
		"split", job.Spec.Parallel.Split)
	fmt.Fprintln(os.Stderr, e.Runner().Plan())
	return e, func() { e.Close() }, nil
}

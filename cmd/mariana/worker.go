package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/mariana-dl/mariana/dataparallel"
	"github.com/mariana-dl/mariana/device"
	"github.com/mariana-dl/mariana/train"
	"github.com/spf13/cobra"
)

// workerFlags are the options of one process of a data-parallel job.
type workerFlags struct {
	rank        int
	peers       string
	jobID       string
	cores       string
	listenFD    int
	dialTimeout time.Duration
	shm         bool
	bench       bool
	train       trainFlags
	benchFlags  benchFlags
}

// registerProcess adds the flags that worker and launch share: how each
// process trains (or benchmarks) and exchanges.
func (f *workerFlags) registerProcess(cmd *cobra.Command) {
	fs := cmd.Flags()
	f.train.register(fs, false)
	f.benchFlags.register(fs)
	fs.BoolVar(&f.bench, "bench", false,
		"measure training throughput on random data instead of training (as mariana bench)")
	fs.DurationVar(&f.dialTimeout, "dial-timeout", 0,
		"give up when the other processes cannot be reached within this time (default 30s)")
	fs.BoolVar(&f.shm, "shm", true,
		"exchange with processes on this host through shared memory (false: over TCP)")
}

func newWorkerCmd() *cobra.Command {
	var f workerFlags
	cmd := &cobra.Command{
		Use:   "worker --rank R --peers HOST:PORT,... SPEC",
		Short: "Run one process of a data-parallel job that spans processes or hosts",
		Long: "Run one process of a data-parallel job: one replica of the network, which trains\n" +
			"its share of every mini-batch and exchanges gradients with the other processes\n" +
			"over TCP. Start one worker per process, on each host, with the same spec and the\n" +
			"same --peers list (rank R listens on the R-th address). Rank 0 reports, evaluates\n" +
			"and writes checkpoints. A peer that dies or keeps the others waiting longer than\n" +
			"--exchange-timeout fails the job with an error naming it.\n" +
			"`mariana launch` starts the workers of a job on this machine.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWorker(cmd, args[0], f)
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&f.rank, "rank", -1, "this process's rank, an index into --peers")
	fs.StringVar(&f.peers, "peers", "", "the processes' addresses, host:port, by rank")
	fs.StringVar(&f.jobID, "job-id", "", "the job's id; processes of different jobs refuse "+
		"each other (default: derived from the spec and the peers)")
	fs.StringVar(&f.cores, "cores", "", "pin this process's device to these cores, such as "+
		"0-3 (default: not pinned)")
	fs.IntVar(&f.listenFD, "listen-fd", 0, "listen on this inherited file descriptor "+
		"instead of the rank's address (set by launch)")
	fs.MarkHidden("listen-fd")
	cmd.MarkFlagRequired("rank")
	cmd.MarkFlagRequired("peers")
	f.registerProcess(cmd)
	return cmd
}

func runWorker(cmd *cobra.Command, arg string, f workerFlags) error {
	addrs := strings.Split(f.peers, ",")
	if f.rank < 0 || f.rank >= len(addrs) {
		return fmt.Errorf("--rank %d is not an index into the %d --peers", f.rank, len(addrs))
	}
	s, src, err := loadSpec(arg)
	if err != nil {
		return err
	}

	// Only rank 0 reports; the others speak up when something goes wrong.
	level := slog.LevelInfo
	if f.rank != 0 {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).
		With("rank", f.rank)

	threads := f.train.threads
	var dev device.Device
	if f.cores != "" {
		cores, err := device.ParseCores(f.cores)
		if err != nil {
			return fmt.Errorf("--cores: %w", err)
		}
		cpu, err := device.NewPinnedCPU(f.rank, cores)
		if err != nil {
			return err
		}
		threads, dev = cpu.Threads(), cpu
	}

	var job *train.Job
	if f.bench {
		bf := f.benchFlags
		bf.threads = threads
		job, err = benchJob(arg, bf)
	} else {
		job, err = train.Build(s, train.Options{Threads: threads})
	}
	if err != nil {
		return err
	}
	defer job.Close()
	if dev == nil {
		dev = device.NewCPU(f.rank, job.Context.Threads)
	}
	defer dev.Close()

	var ln net.Listener
	if f.listenFD > 0 {
		file := os.NewFile(uintptr(f.listenFD), "listener")
		ln, err = net.FileListener(file)
		file.Close()
		if err != nil {
			return fmt.Errorf("listener handed over on descriptor %d: %w", f.listenFD, err)
		}
	}
	jobID := f.jobID
	if jobID == "" {
		sum := sha256.Sum256([]byte(string(src) + "\x00" + f.peers))
		jobID = hex.EncodeToString(sum[:8])
	}

	log.Info("joining", "peers", f.peers, "device", fmt.Sprint(dev))
	t, topo, err := dataparallel.Connect(cmd.Context(), dataparallel.Peers{
		Rank: f.rank, Addrs: addrs, JobID: jobID, Listener: ln,
		DialTimeout: f.dialTimeout, IOTimeout: f.train.parallel.timeout,
		NoSharedMemory: !f.shm,
	})
	if err != nil {
		return err
	}
	g, err := dataparallel.NewProcess(job, dev, t, topo, f.train.parallel.config(s))
	if err != nil {
		t.Close()
		return err
	}
	defer g.Close()
	log.Info("exchange plan", "plan", g.Plan().String())

	if f.bench {
		err = benchWith(cmd.Context(), job, g, len(addrs), f.benchFlags)
	} else {
		err = trainWith(cmd.Context(), log, job, src, g, f.train)
	}
	if err == nil && g.Leader() {
		logMemory(log, g)
	}
	return err
}

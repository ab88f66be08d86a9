package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mariana-dl/mariana/device"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// launchFlags are the options of launch itself; the rest go to the workers.
type launchFlags struct {
	n     int
	bind  string
	grace time.Duration
	pin   bool
	proc  workerFlags
}

// launchOnly are the flags launch does not pass on: its own, and
// --threads, which launch splits among the workers.
var launchOnly = []string{"processes", "bind", "grace", "pin", "threads"}

func newLaunchCmd() *cobra.Command {
	var f launchFlags
	cmd := &cobra.Command{
		Use:   "launch -n N SPEC",
		Short: "Train data-parallel in N processes on this machine, joined over TCP",
		Long: "Start N worker processes on this machine (see `mariana worker`), one replica of\n" +
			"the network each, joined over TCP on 127.0.0.1, and wait for them. --threads is\n" +
			"shared among them (with --pin, each gets cores of its own). Rank 0 reports,\n" +
			"evaluates and writes checkpoints. When a worker fails or dies, the others fail\n" +
			"too (or are killed after --grace), and launch exits with an error naming it.\n" +
			"Ctrl-C stops every worker after the same step; rank 0 writes a checkpoint.\n" +
			"With --bench the workers measure throughput on random data instead.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runLaunch(cmd, args[0], f)
		},
	}
	fs := cmd.Flags()
	fs.IntVarP(&f.n, "processes", "n", 2, "number of worker processes")
	fs.StringVar(&f.bind, "bind", "127.0.0.1", "address the workers listen on")
	fs.DurationVar(&f.grace, "grace", 5*time.Second,
		"after a worker fails, how long the others get to stop by themselves before "+
			"they are killed")
	fs.BoolVar(&f.pin, "pin", false, "pin each worker's device thread to cores of its own "+
		"when --threads fits in the machine (see mariana train --pin)")
	f.proc.registerProcess(cmd)
	return cmd
}

// worker is a started worker process.
type worker struct {
	rank int
	cmd  *exec.Cmd
	done bool
}

// exit is how a worker ended.
type exit struct {
	rank int
	err  error
}

func runLaunch(cmd *cobra.Command, arg string, f launchFlags) error {
	if f.n < 1 {
		return fmt.Errorf("launch: -n %d, want at least 1 process", f.n)
	}
	if _, _, err := loadSpec(arg); err != nil {
		return err // a bad spec starts nothing
	}
	log := newLogger()
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("launch: find the mariana binary: %w", err)
	}

	// Bind every port before starting anyone, and hand each worker its
	// listener: no port can be taken in between.
	files := make([]*os.File, f.n)
	addrs := make([]string, f.n)
	defer func() {
		for _, file := range files {
			if file != nil {
				file.Close()
			}
		}
	}()
	for r := range f.n {
		ln, err := net.Listen("tcp", net.JoinHostPort(f.bind, "0"))
		if err != nil {
			return fmt.Errorf("launch: listen for rank %d: %w", r, err)
		}
		addrs[r] = ln.Addr().String()
		files[r], err = ln.(*net.TCPListener).File()
		ln.Close()
		if err != nil {
			return fmt.Errorf("launch: listener of rank %d: %w", r, err)
		}
	}

	split := device.SplitCPUs
	if f.pin {
		split = device.SplitPinnedCPUs
	}
	cpus, err := split(f.n, f.proc.train.threads)
	if err != nil {
		return err
	}
	id := make([]byte, 8)
	rand.Read(id)
	pass := passThrough(cmd.Flags())

	workers := make([]*worker, 0, f.n)
	exits := make(chan exit, f.n)
	for r := range f.n {
		args := []string{"worker", "--rank", strconv.Itoa(r), "--peers", strings.Join(addrs, ","),
			"--job-id", hex.EncodeToString(id), "--listen-fd", "3",
			"--threads", strconv.Itoa(cpus[r].Threads())}
		if cores := cpus[r].Cores(); cores != nil {
			args = append(args, "--cores", device.FormatCores(cores))
		}
		args = append(append(args, pass...), arg)
		c := exec.Command(exe, args...)
		c.Stdout, c.Stderr = os.Stdout, os.Stderr
		c.ExtraFiles = []*os.File{files[r]}
		if err := c.Start(); err != nil {
			killAll(workers)
			return fmt.Errorf("launch: start rank %d: %w", r, err)
		}
		files[r].Close()
		files[r] = nil
		w := &worker{rank: r, cmd: c}
		workers = append(workers, w)
		go func() { exits <- exit{rank: w.rank, err: c.Wait()} }()
		log.Info("worker started", "rank", r, "pid", c.Process.Pid, "addr", addrs[r],
			"device", cpus[r].String())
	}
	return supervise(cmd.Context(), log, workers, exits, f.grace)
}

// passThrough returns the flags set on launch's command line that the
// workers take, as --name=value.
func passThrough(fs *pflag.FlagSet) []string {
	var args []string
	fs.Visit(func(fl *pflag.Flag) {
		if !slices.Contains(launchOnly, fl.Name) {
			args = append(args, "--"+fl.Name+"="+fl.Value.String())
		}
	})
	return args
}

// supervise waits for the workers. When one fails, the others get grace
// to fail by themselves (they notice a dead peer at once, a stuck one
// within their exchange timeout) and are then killed; the error names the
// first worker that failed. A cancelled ctx (Ctrl-C) is passed on to the
// workers, which stop together after the same step.
func supervise(ctx context.Context, log *slog.Logger, workers []*worker, exits <-chan exit,
	grace time.Duration) error {
	var (
		first    *exit
		deadline <-chan time.Time
		cancel   = ctx.Done()
		running  = len(workers)
	)
	for running > 0 {
		select {
		case e := <-exits:
			running--
			workers[e.rank].done = true
			if e.err != nil && first == nil && !(cancel == nil && stopped(e.err)) {
				first = &e
				log.Error("worker failed", "rank", e.rank, "err", e.err)
				deadline = time.After(grace)
			}

		case <-cancel:
			cancel = nil
			log.Info("stopping the workers")
			for _, w := range workers {
				if !w.done {
					w.cmd.Process.Signal(syscall.SIGTERM)
				}
			}

		case <-deadline:
			deadline = nil
			for _, w := range workers {
				if !w.done {
					log.Warn("killing worker", "rank", w.rank, "pid", w.cmd.Process.Pid)
					w.cmd.Process.Kill()
				}
			}
		}
	}

	if first != nil {
		pid := workers[first.rank].cmd.Process.Pid
		return fmt.Errorf("launch: worker rank %d (pid %d) failed: %w; the other workers "+
			"were stopped", first.rank, pid, describeExit(first.err))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

// stopped reports whether a worker ended as a stopped run does: exit
// status 130, after its checkpoint.
func stopped(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee) && ee.ExitCode() == 130
}

// describeExit says how a process ended: "exit status 1", or "killed by
// signal killed".
func describeExit(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Errorf("killed by signal %v", ws.Signal())
		}
	}
	return err
}

// killAll kills workers already started when launch cannot go on.
func killAll(workers []*worker) {
	for _, w := range workers {
		w.cmd.Process.Kill()
	}
}

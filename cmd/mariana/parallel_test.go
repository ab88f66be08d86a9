package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/checkpoint"
)

// TestMain lets the test binary stand in for the mariana binary: launch
// and the tests start it as worker processes with MARIANA_TEST_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("MARIANA_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// dpSpec is an MLP with dropout on random data, small enough to train in a
// moment and with segments enough to exercise the overlap.
const dpSpec = `name: dp
seed: 5
data:
  format: random
  random: {train: 1536, test: 256, shape: [40], classes: 6}
model:
  input: [40]
  layers:
    - {name: fc1, type: fc, outputs: 512}
    - {name: relu1, type: relu}
    - {name: drop1, type: dropout, rate: 0.2}
    - {name: fc2, type: fc, outputs: 256}
    - {name: relu2, type: relu}
    - {name: fc3, type: fc, outputs: 6}
    - {name: loss, type: softmax_loss}
solver: {method: adagrad, lr: 0.05}
train: {batch: 48, iterations: 20, display_every_steps: 1, checkpoint_dir: ckpts}
`

// useTestBinaryAsMariana makes processes started by the test run main.
func useTestBinaryAsMariana(t *testing.T) {
	t.Setenv("MARIANA_TEST_MAIN", "1")
}

func readCheckpoint(t *testing.T, path string) *checkpoint.Checkpoint {
	t.Helper()
	c, err := checkpoint.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sameTensors fails unless a and b hold the same tensors bit for bit.
func sameTensors(t *testing.T, what string, a, b *checkpoint.Checkpoint) {
	t.Helper()
	if len(a.Names) != len(b.Names) {
		t.Fatalf("%s: %v against %v", what, a.Names, b.Names)
	}
	for _, name := range a.Names {
		x, y := a.Tensors[name], b.Tensors[name]
		if y == nil || len(x.Data) != len(y.Data) {
			t.Fatalf("%s: %s missing or of another size", what, name)
		}
		for i := range x.Data {
			if math.Float32bits(x.Data[i]) != math.Float32bits(y.Data[i]) {
				t.Fatalf("%s: %s[%d] = %v against %v", what, name, i, x.Data[i], y.Data[i])
			}
		}
	}
}

// TestProcessesEqualDevices trains the same spec on n in-process devices
// and in n processes started by launch, in rank order, and compares the
// final checkpoints (weights and AdaGrad history) bit for bit.
func TestProcessesEqualDevices(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	useTestBinaryAsMariana(t)
	for _, n := range []int{2, 3} {
		t.Run(fmt.Sprint("n=", n), func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "dp.yaml"), strings.ReplaceAll(dpSpec,
				"checkpoint_dir: ckpts", "checkpoint_dir: "+filepath.Join(dir, "local")))
			if err := run(t, dir, "train", "dp.yaml", "--plain", "--ordered",
				"--devices", strconv.Itoa(n), "--threads", strconv.Itoa(n)); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "dp.yaml"), strings.ReplaceAll(dpSpec,
				"checkpoint_dir: ckpts", "checkpoint_dir: "+filepath.Join(dir, "procs")))
			if err := run(t, dir, "launch", "-n", strconv.Itoa(n), "dp.yaml", "--plain",
				"--ordered", "--threads", strconv.Itoa(n)); err != nil {
				t.Fatal(err)
			}
			name := checkpoint.FileName(20)
			sameTensors(t, "processes against devices",
				readCheckpoint(t, filepath.Join(dir, "procs", name)),
				readCheckpoint(t, filepath.Join(dir, "local", name)))
			if files, _ := os.ReadDir(filepath.Join(dir, "procs")); len(files) != 1 {
				t.Errorf("the processes wrote %d files, want rank 0's one checkpoint",
					len(files))
			}
		})
	}
}

// freeAddrs returns n addresses on 127.0.0.1 that were free a moment ago.
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs[i] = ln.Addr().String()
		ln.Close()
	}
	return addrs
}

// process is a worker or launch process started by a test, with its
// standard error collected line by line.
type process struct {
	cmd   *exec.Cmd
	lines chan string
	all   strings.Builder
	done  chan error
}

func start(t *testing.T, dir string, args ...string) *process {
	t.Helper()
	c := exec.Command(os.Args[0], args...)
	c.Dir = dir
	c.Stdout = io.Discard
	stderr, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: c, lines: make(chan string, 1024), done: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.all.WriteString(sc.Text() + "\n")
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(p.lines)
		p.done <- c.Wait()
	}()
	t.Cleanup(func() { c.Process.Kill() })
	return p
}

// waitFor reads p's lines until one matches re and returns its
// submatches, or fails after a while.
func (p *process) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				t.Fatalf("process ended before printing %v:\n%s", re, p.all.String())
			}
			if m := re.FindStringSubmatch(line); m != nil {
				return m
			}
		case <-deadline:
			t.Fatalf("no line matching %v", re)
		}
	}
}

// exited waits until p ends, at most within bound, and returns its error.
// The bound is generous: the point is that nothing hangs.
func (p *process) exited(t *testing.T, bound time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		return err
	case <-time.After(bound):
		t.Fatalf("process %d still running after %v:\n%s", p.cmd.Process.Pid, bound,
			p.all.String())
		return nil
	}
}

var stepLine = regexp.MustCompile(`msg=step .*step=([0-9]+)`)

// longSpec trains for a long time, so that a test can kill a worker midway.
func longSpec(t *testing.T, dir string) {
	writeFile(t, filepath.Join(dir, "dp.yaml"), strings.ReplaceAll(dpSpec,
		"iterations: 20", "iterations: 100000000"))
}

// TestKilledWorkerFailsTheJob starts 3 workers by hand, SIGKILLs rank 2
// while they train, and expects the others to fail at once with an error
// naming rank 2, within the exchange timeout.
func TestKilledWorkerFailsTheJob(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	useTestBinaryAsMariana(t)
	dir := t.TempDir()
	longSpec(t, dir)
	addrs := strings.Join(freeAddrs(t, 3), ",")
	timeout := 5 * time.Second
	var ps []*process
	for r := range 3 {
		ps = append(ps, start(t, dir, "worker", "--rank", strconv.Itoa(r), "--peers", addrs,
			"--threads", "1", "--plain", "--exchange-timeout", timeout.String(), "dp.yaml"))
	}
	ps[0].waitFor(t, stepLine)

	if err := ps[2].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for _, r := range []int{0, 1} {
		err := ps[r].exited(t, timeout+30*time.Second)
		if err == nil {
			t.Errorf("rank %d succeeded after its peer was killed", r)
		}
		if text := ps[r].all.String(); !strings.Contains(text, "rank 2") {
			t.Errorf("rank %d's error does not name rank 2:\n%s", r, text)
		}
	}
}

var startedLine = regexp.MustCompile(`msg="worker started" rank=([0-9]+) pid=([0-9]+)`)

// TestLaunchStopsTheJobWhenAWorkerDiesOrHangs runs launch -n 3 as a
// process, then SIGKILLs one worker, or stops one (SIGSTOP: alive but
// stuck). Launch must exit with an error naming a worker within the
// exchange timeout plus its grace, and leave no worker behind.
func TestLaunchStopsTheJobWhenAWorkerDiesOrHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	useTestBinaryAsMariana(t)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGSTOP} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			longSpec(t, dir)
			timeout := 3 * time.Second
			launch := start(t, dir, "launch", "-n", "3", "--threads", "3", "--grace", "2s",
				"--plain", "--exchange-timeout", timeout.String(), "dp.yaml")
			pids := map[int]int{}
			for len(pids) < 3 {
				m := launch.waitFor(t, startedLine)
				rank, _ := strconv.Atoi(m[1])
				pids[rank], _ = strconv.Atoi(m[2])
			}
			launch.waitFor(t, stepLine)

			if err := syscall.Kill(pids[1], sig); err != nil {
				t.Fatal(err)
			}
			err := launch.exited(t, timeout+2*time.Second+30*time.Second)
			if err == nil {
				t.Fatal("launch succeeded after a worker was lost")
			}
			text := launch.all.String()
			if !strings.Contains(text, "launch: worker rank") {
				t.Errorf("launch's error does not name a worker:\n%s", text)
			}
			if !strings.Contains(text, "rank 1") {
				t.Errorf("nothing names rank 1, the worker at fault:\n%s", text)
			}
			for rank, pid := range pids {
				if err := syscall.Kill(pid, 0); err == nil {
					t.Errorf("worker rank %d (pid %d) still runs after launch ended", rank, pid)
				}
			}
		})
	}
}

// TestSpecParallelSection trains with the spec's parallel section (2
// devices, ring) and with the same placement given as flags: the final
// checkpoints must be the same bits, and differ from one device's.
func TestSpecParallelSection(t *testing.T) {
	dir := t.TempDir()
	withSection := strings.ReplaceAll(dpSpec, "checkpoint_dir: ckpts",
		"checkpoint_dir: spec") + "parallel: {devices: 2, exchange: ring}\n"
	writeFile(t, filepath.Join(dir, "section.yaml"), withSection)
	writeFile(t, filepath.Join(dir, "flags.yaml"), strings.ReplaceAll(dpSpec,
		"checkpoint_dir: ckpts", "checkpoint_dir: flags"))
	writeFile(t, filepath.Join(dir, "one.yaml"), strings.ReplaceAll(dpSpec,
		"checkpoint_dir: ckpts", "checkpoint_dir: one"))

	for _, args := range [][]string{
		{"train", "section.yaml", "--plain", "--threads", "2"},
		{"train", "flags.yaml", "--plain", "--threads", "2", "--devices", "2",
			"--exchange", "ring"},
		{"train", "one.yaml", "--plain", "--threads", "2"},
	} {
		if err := run(t, dir, args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	name := checkpoint.FileName(20)
	spec := readCheckpoint(t, filepath.Join(dir, "spec", name))
	sameTensors(t, "spec section against flags", spec,
		readCheckpoint(t, filepath.Join(dir, "flags", name)))
	one := readCheckpoint(t, filepath.Join(dir, "one", name))
	if slices.Equal(spec.Tensors["fc1.weight"].Data, one.Tensors["fc1.weight"].Data) {
		t.Error("the spec's parallel section was ignored: the run equals one device's " +
			"bit for bit")
	}
}

// TestTrainRefusesTooFewSamplesPerDevice asks for more devices than the
// mini-batch has samples.
func TestTrainRefusesTooFewSamplesPerDevice(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "dp.yaml"), dpSpec)
	err := run(t, dir, "train", "dp.yaml", "--devices", "64", "--threads", "2")
	if err == nil || !strings.Contains(err.Error(), "cannot be shared by 64 devices") {
		t.Errorf("64 devices for a batch of 48: %v", err)
	}
}

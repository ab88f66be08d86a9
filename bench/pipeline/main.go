//go:build unix

// Command pipeline measures what the input pipeline costs the training of
// cifar10-quick: training steps fed by the pipeline (CIFAR-10 binary files
// read from disk in a shuffled order, random crop 32 of the image padded by
// 4, mirror, mean subtraction) against the same training steps on batches
// made beforehand. The bar is a ratio of at most 1.10.
//
// The network is the cifar10-quick example built by train.Build, on the
// threads the machine has; the data are CIFAR-10 files of random pixels
// written in the real format into a temporary folder, or the real files
// with -dir.
//
// On a shared machine the speed of training drifts by tens of percent from
// minute to minute, so the two kinds of step alternate in blocks of -block
// steps and the ratio is that of their total times. Before a block without
// the pipeline, the pipeline is left to fill its queues, so that its
// read-ahead, work that belongs to the pipeline's blocks, is not done while
// the other kind is timed. The process's CPU time is reported beside the
// wall-clock time: its ratio tells the extra work whatever else runs.
//
//	go run ./bench/pipeline                    # 2 epochs of 10000 samples each
//	go run ./bench/pipeline -samples 50000 -epochs 1
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/data/pipeline"
	"github.com/mariana-dl/mariana/examples"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/tensor"
	"github.com/mariana-dl/mariana/train"
)

func main() {
	samples := flag.Int("samples", 10000, "samples per epoch (random files only)")
	epochs := flag.Int("epochs", 2, "epochs of each kind")
	block := flag.Int("block", 20, "steps of one kind before switching to the other")
	threads := flag.Int("threads", 0, "training threads (0: all cores)")
	prepThreads := flag.Int("prep-threads", 1, "preprocessing goroutines")
	depth := flag.Int("depth", 2, "queue depth between stages")
	dir := flag.String("dir", "", "folder of the real CIFAR-10 binary files (default: "+
		"random files of -samples records)")
	flag.Parse()

	if *epochs < 1 || *block < 1 || *depth < 1 {
		fmt.Fprintln(os.Stderr, "pipeline: -epochs, -block and -depth must be positive")
		os.Exit(2)
	}
	if err := run(*samples, *epochs, *block, *threads, *prepThreads, *depth, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "pipeline:", err)
		os.Exit(1)
	}
}

// trainer is the training computation of one step, as train.Trainer does
// it: forward, backward and the solver's update.
type trainer struct {
	net    *model.Net
	params []*layer.Param
	solver *optim.Solver
	ctx    layer.Context
	step   int64
}

func (t *trainer) train(x, y *tensor.Tensor) float64 {
	t.ctx.Train, t.ctx.Step, t.ctx.SampleOffset = true, t.step, 0
	n := x.Batch()
	loss := t.net.Forward(&t.ctx, x, y) / float64(n)
	t.net.Backward(&t.ctx, 1/float32(n))
	t.solver.Update(t.step, t.params)
	t.step++
	return loss
}

func run(samples, epochs, block, threads, prepThreads, depth int, dir string) error {
	s, err := examples.Load("cifar10-quick")
	if err != nil {
		return err
	}
	job, err := train.Build(s, train.Options{Threads: threads,
		Data: func(s *spec.Spec) (data.Dataset, data.Dataset, error) {
			set, err := data.NewRandom(tensor.Shape{3, 32, 32}, 10, s.Train.Batch, s.Seed)
			return set, nil, err
		}})
	if err != nil {
		return err
	}
	t := &trainer{net: job.Net, params: job.Net.Params(), solver: job.Solver,
		ctx: job.Context}
	if err := t.solver.Prepare(t.params); err != nil {
		return err
	}

	paths, cleanup, err := files(dir, samples)
	if err != nil {
		return err
	}
	defer cleanup()
	src, err := pipeline.OpenCIFAR10(paths, "")
	if err != nil {
		return err
	}
	defer src.Close()

	cfg := pipeline.Config{BatchSize: s.Train.Batch, Shuffle: true, Seed: s.Seed,
		DropLast: true, Train: true, Crop: 32, Pad: 4, Mirror: true,
		Mean: []float32{125.3, 123.0, 113.9}, Threads: prepThreads, Depth: depth}
	p, err := pipeline.New(src, cfg)
	if err != nil {
		return err
	}
	defer p.Close()
	steps := p.BatchesPerEpoch()

	// The batches of the computation alone are made beforehand by the same
	// preprocessing, so both kinds of epoch train on the same kind of
	// input; a few of them, cycled, keep the memory small.
	premade := make([][2]*tensor.Tensor, min(10, steps))
	for i := range premade {
		x, y := new(tensor.Tensor), new(tensor.Tensor)
		if _, err := p.Next(x, y); err != nil {
			return err
		}
		premade[i] = [2]*tensor.Tensor{x, y}
	}
	for i := range 5 { // warm up
		t.train(premade[i%len(premade)][0], premade[i%len(premade)][1])
	}

	fmt.Printf("cifar10-quick, batch %d, %d steps per epoch, %d training threads (%s), "+
		"%d preprocessing, depth %d, %d cores; %d epochs of each kind in blocks of %d\n",
		s.Train.Batch, steps, t.ctx.Threads, t.ctx.BLAS.Name(), max(prepThreads, 1), depth,
		runtime.NumCPU(), epochs, block)

	var wallAlone, wallPipe, cpuAlone, cpuPipe time.Duration
	var x, y tensor.Tensor
	for done := 0; done < epochs*steps; done += block {
		k := min(block, epochs*steps-done)
		settle(p, depth)
		w, c := time.Now(), cpuTime()
		for i := range k {
			b := premade[(done+i)%len(premade)]
			t.train(b[0], b[1])
		}
		wallAlone += time.Since(w)
		cpuAlone += cpuTime() - c

		w, c = time.Now(), cpuTime()
		for range k {
			if _, err := p.Next(&x, &y); err != nil {
				return err
			}
			t.train(&x, &y)
		}
		wallPipe += time.Since(w)
		cpuPipe += cpuTime() - c
	}

	n := float64(epochs * steps)
	fmt.Printf("%-22s %10s %10s %8s\n", "", "alone", "pipeline", "ratio")
	fmt.Printf("%-22s %10.1f %10.1f %8.3f   (bar: at most 1.10)\n", "wall ms per step",
		ms(wallAlone)/n, ms(wallPipe)/n, wallPipe.Seconds()/wallAlone.Seconds())
	fmt.Printf("%-22s %10.1f %10.1f %8.3f\n", "CPU ms per step", ms(cpuAlone)/n,
		ms(cpuPipe)/n, cpuPipe.Seconds()/cpuAlone.Seconds())
	fmt.Printf("%-22s %10.0f %10.0f\n", "samples per second",
		n*float64(s.Train.Batch)/wallAlone.Seconds(), n*float64(s.Train.Batch)/wallPipe.Seconds())
	c := p.Counters()
	fmt.Printf("pipeline work per batch: read %.2f ms, preprocess %.2f ms\n",
		ms(c.Read.Busy)/float64(c.Read.Batches),
		ms(c.Preprocess.Busy)/float64(c.Preprocess.Batches))
	fmt.Println(p.Counters())
	return nil
}

// files returns the CIFAR-10 training files of dir, or writes random ones
// of samples records into a temporary folder.
func files(dir string, samples int) (paths []string, cleanup func(), err error) {
	if dir != "" {
		for i := 1; i <= 5; i++ {
			paths = append(paths, filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", i)))
		}
		return paths, func() {}, nil
	}

	tmp, err := os.MkdirTemp("", "mariana-bench-pipeline-")
	if err != nil {
		return nil, nil, err
	}
	cleanup = func() { os.RemoveAll(tmp) }
	const record, perFile = 3073, 10000
	state := uint64(1)
	for k := 0; k*perFile < samples; k++ {
		n := min(perFile, samples-k*perFile)
		b := make([]byte, n*record)
		for i := range b {
			// A xorshift generator: random enough for pixels, and fast.
			state ^= state << 13
			state ^= state >> 7
			state ^= state << 17
			b[i] = byte(state >> 32)
		}
		for i := range n {
			b[i*record] %= 10
		}
		path := filepath.Join(tmp, fmt.Sprintf("data_batch_%d.bin", k+1))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			cleanup()
			return nil, nil, err
		}
		paths = append(paths, path)
	}
	return paths, cleanup, nil
}

// settle waits until the pipeline's stages have filled their queues and
// stopped, so that their read-ahead is not done while other work is
// timed.
func settle(p *pipeline.Pipeline, depth int) {
	for {
		c := p.Counters()
		if c.Read.Queued == depth && c.Preprocess.Queued == depth {
			// One more batch sits in each stage, blocked on its queue.
			full := c.Train.Batches + int64(2*depth+2)
			if c.Read.Batches >= full {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
}

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return d.Seconds() * 1000 }

package dataparallel

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/train"
)

// TestResumeIsBitIdentical trains 40 steps on 2 devices in one go, and 17
// steps, a checkpoint through a file and 23 more in a new group; the
// weights must match bit for bit, for both places of the solver's history.
func TestResumeIsBitIdentical(t *testing.T) {
	for _, state := range []StateMode{OwnerState, ReplicatedState} {
		t.Run(string(state), func(t *testing.T) {
			cfg := Config{State: state, segmentMin: 1}
			for _, src := range []string{smallSpec, adagradSpec} {
				whole := trainLocal(t, src, 2, cfg, 40)

				job := buildJob(t, src)
				first, err := NewLocal(job, cpus(t, 2), cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer first.Close()
				dir := t.TempDir()
				tr, err := train.NewWithEngine(train.Config{Steps: 17, CheckpointDir: dir},
					first, job.Batches(), nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				res, err := tr.Run(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				c, err := checkpoint.Read(res.LastCheckpoint)
				if err != nil {
					t.Fatal(err)
				}

				job2 := buildJob(t, src)
				second, err := NewLocal(job2, cpus(t, 2), cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer second.Close()
				tr2, err := train.NewWithEngine(train.Config{Steps: 40}, second, job2.Batches(),
					nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				if err := tr2.Resume(c); err != nil {
					t.Fatal(err)
				}
				if _, err := tr2.Run(context.Background()); err != nil {
					t.Fatal(err)
				}
				sameBits(t, second.Params(), whole.Params())
			}
		})
	}
}

// TestCheckpointsMoveBetweenDeviceCounts writes a checkpoint on 3 devices
// and checks that it holds exactly what one device's checkpoint holds at
// the same step (the history of every parameter, whole, under its own
// name), and that one device and 2 devices resume from it.
func TestCheckpointsMoveBetweenDeviceCounts(t *testing.T) {
	dir := t.TempDir()
	job := buildJob(t, smallSpec)
	g, err := NewLocal(job, cpus(t, 3), Config{Ordered: true, segmentMin: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	tr, err := train.NewWithEngine(train.Config{Steps: 10, CheckpointDir: dir}, g,
		job.Batches(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	multi, err := checkpoint.Read(res.LastCheckpoint)
	if err != nil {
		t.Fatal(err)
	}

	single := buildJob(t, smallSpec)
	str, err := train.New(train.Config{Steps: 10, CheckpointDir: t.TempDir()}, single.Net,
		single.Solver, single.Batches(), nil, single.Context, nil)
	if err != nil {
		t.Fatal(err)
	}
	sres, err := str.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	one, err := checkpoint.Read(sres.LastCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	if len(multi.Names) != len(one.Names) {
		t.Fatalf("3 devices wrote %v, one device %v", multi.Names, one.Names)
	}
	for _, name := range one.Names {
		m, ok := multi.Tensors[name]
		if !ok || !m.Shape.Equal(one.Tensors[name].Shape) {
			t.Fatalf("3-device checkpoint lacks %s of shape %v", name, one.Tensors[name].Shape)
		}
	}

	// Resume on one device and on 2.
	back := buildJob(t, smallSpec)
	btr, err := train.New(train.Config{Steps: 15}, back.Net, back.Solver, back.Batches(), nil,
		back.Context, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := btr.Resume(multi); err != nil {
		t.Fatalf("one device cannot resume from 3: %v", err)
	}
	two := buildJob(t, smallSpec)
	g2, err := NewLocal(two, cpus(t, 2), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	ttr, err := train.NewWithEngine(train.Config{Steps: 15}, g2, two.Batches(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ttr.Resume(multi); err != nil {
		t.Fatalf("2 devices cannot resume from 3: %v", err)
	}
	if _, err := btr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := ttr.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d, where := relDiff(t, g2.Params(), back.Net.Params()); d > 1e-5 {
		t.Errorf("after resuming, 2 devices and one differ by %.3g at %s", d, where)
	}
}

// TestResumeRefusesForeignState checks that a checkpoint whose history
// does not fit is refused with an error naming the tensor.
func TestResumeRefusesForeignState(t *testing.T) {
	job := buildJob(t, smallSpec)
	g, err := NewLocal(job, cpus(t, 2), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	dir := t.TempDir()
	tr, err := train.NewWithEngine(train.Config{Steps: 2, CheckpointDir: dir}, g, job.Batches(),
		nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := tr.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := checkpoint.Read(res.LastCheckpoint)
	if err != nil {
		t.Fatal(err)
	}
	delete(c.Tensors, "solver.momentum/fc1.weight")
	for i, n := range c.Names {
		if n == "solver.momentum/fc1.weight" {
			c.Names = append(c.Names[:i], c.Names[i+1:]...)
			break
		}
	}
	path := filepath.Join(dir, "bad.safetensors")
	if err := checkpoint.Write(path, c); err != nil {
		t.Fatal(err)
	}
	bad, err := checkpoint.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	job2 := buildJob(t, smallSpec)
	g2, err := NewLocal(job2, cpus(t, 2), Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer g2.Close()
	tr2, err := train.NewWithEngine(train.Config{Steps: 4}, g2, job2.Batches(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = tr2.Resume(bad)
	if err == nil {
		t.Fatal("a checkpoint without fc1.weight's momentum was accepted")
	}
	if want := "solver.momentum/fc1.weight"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}

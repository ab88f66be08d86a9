package dataparallel

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/device"
	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/train"
)

// processes runs one Group per member over an in-process exchange group,
// each driven by its own Trainer on its own goroutine, as separate
// processes would run them. ctxs[r] is rank r's context; dirs[r] its
// checkpoint folder (may be empty).
func processes(t *testing.T, src string, cfg Config, steps int64, ctxs []context.Context,
	dirs []string) ([]*Group, []error) {
	t.Helper()
	n := len(ctxs)
	lg, err := exchange.NewLocalGroup(n, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	topo := exchange.NewTopology(n, exchange.InProcessLink, true)
	groups := make([]*Group, n)
	trainers := make([]*train.Trainer, n)
	for r := range n {
		job := buildJob(t, src)
		g, err := NewProcess(job, device.NewCPU(r, 1), lg.Member(r), topo, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		groups[r] = g
		tc := train.Config{Steps: steps, CheckpointDir: dirs[r], CheckpointEvery: 5}
		if dirs[r] == "" {
			tc.CheckpointEvery = 0
		}
		if trainers[r], err = train.NewWithEngine(tc, g, job.Batches(), job.Test, nil); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for r := range n {
		wg.Go(func() { _, errs[r] = trainers[r].Run(ctxs[r]) })
	}
	wg.Wait()
	return groups, errs
}

// TestProcessesEqualDevices checks that members in separate groups (as in
// separate processes) train exactly as the devices of one group do.
func TestProcessesEqualDevices(t *testing.T) {
	for _, n := range []int{2, 3} {
		cfg := Config{Ordered: true, segmentMin: 1}
		want := trainLocal(t, smallSpec, n, cfg, 20).Params()
		ctxs := make([]context.Context, n)
		for r := range ctxs {
			ctxs[r] = context.Background()
		}
		groups, errs := processes(t, smallSpec, cfg, 20, ctxs, make([]string, n))
		for r, err := range errs {
			if err != nil {
				t.Fatalf("rank %d: %v", r, err)
			}
		}
		for _, g := range groups {
			sameBits(t, g.Params(), want)
		}
	}
}

// TestStopIsAgreed cancels one member's context: every member must stop
// after the same step, the leader alone writing the checkpoint there, and
// the others learning that a peer stopped.
func TestStopIsAgreed(t *testing.T) {
	n := 3
	ctxs := make([]context.Context, n)
	dirs := make([]string, n)
	for r := range n {
		ctxs[r] = context.Background()
		dirs[r] = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	ctxs[2] = ctx
	time.AfterFunc(50*time.Millisecond, cancel)
	groups, errs := processes(t, smallSpec, Config{}, 1_000_000, ctxs, dirs)

	if !errors.Is(errs[2], context.Canceled) {
		t.Errorf("the cancelled member returned %v", errs[2])
	}
	for _, r := range []int{0, 1} {
		if !errors.Is(errs[r], train.ErrStoppedByPeer) {
			t.Errorf("rank %d returned %v, want ErrStoppedByPeer", r, errs[r])
		}
	}
	for _, r := range []int{1, 2} {
		if files, _ := os.ReadDir(dirs[r]); len(files) != 0 {
			t.Errorf("rank %d wrote %d files; only the leader writes checkpoints", r, len(files))
		}
	}
	latest, err := checkpoint.Latest(dirs[0])
	if err != nil {
		t.Fatal(err)
	}

	// The checkpoint was taken after the last step every member trained.
	sameBits(t, groups[1].Params(), groups[0].Params())
	for _, p := range groups[0].Params() {
		got := latest.Checkpoint.Tensors[p.Name]
		for j, v := range p.Value.Data {
			if got.Data[j] != v {
				t.Fatalf("checkpoint %s[%d] = %v, the model holds %v", p.Name, j, got.Data[j], v)
			}
		}
	}
}

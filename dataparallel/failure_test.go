package dataparallel

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/train"
)

// TestStuckDeviceFailsTheGroup stalls device 1 at step 3: the group must
// fail within its timeout with an error that names that device, instead
// of hanging.
func TestStuckDeviceFailsTheGroup(t *testing.T) {
	release := make(chan struct{})
	stall := func(rank int, step int64) {
		if rank == 1 && step == 3 {
			<-release
		}
	}
	testHookStep.Store(&stall)
	defer func() {
		testHookStep.Store(nil)
		close(release)
	}()

	job := buildJob(t, smallSpec)
	timeout := 300 * time.Millisecond
	g, err := NewLocal(job, cpus(t, 3), Config{Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.NewWithEngine(train.Config{Steps: 40}, g, job.Batches(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := tr.Run(context.Background())
		done <- err
	}()

	// A generous bound: the point is that it ends, not how fast.
	select {
	case err = <-done:
	case <-time.After(timeout + 20*time.Second):
		t.Fatal("the group hangs on a stuck device")
	}
	if !errors.Is(err, exchange.ErrTimeout) {
		t.Fatalf("error %v, want a timeout", err)
	}
	if !strings.Contains(err.Error(), "rank 1") || !strings.Contains(err.Error(), "step 3") {
		t.Errorf("error %q does not name rank 1 and step 3", err)
	}
}

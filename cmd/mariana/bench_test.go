package main

import (
	"strings"
	"testing"
)

func TestBenchBatchOverridesTheSpec(t *testing.T) {
	f := benchFlags{batch: 48, epochSize: 96, classes: 10}
	job, err := benchJob("mnist-mlp", f)
	if err != nil {
		t.Fatal(err)
	}
	if job.Spec.Train.Batch != 48 || job.Loader.BatchesPerEpoch() != 2 {
		t.Errorf("batch %d, %d batches an epoch; want 48 and 2", job.Spec.Train.Batch,
			job.Loader.BatchesPerEpoch())
	}

	f.batch = -1
	if _, err := benchJob("mnist-mlp", f); err == nil || !strings.Contains(err.Error(), "--batch") {
		t.Errorf("--batch -1: got %v, want an error naming --batch", err)
	}
}

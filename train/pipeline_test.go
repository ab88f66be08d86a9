package train

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/tensor"
)

// pipelineSpec trains a small network on real MNIST through the input
// pipeline; AUGMENT is replaced by each test.
const pipelineSpec = `
name: piped
seed: 3
data:
  format: mnist
  normalize: {mean: [0.1307], std: [0.3081]}
  AUGMENT
model:
  layers:
    - {name: conv1, type: conv, filters: 4, kernel: 5, stride: 2}
    - {name: relu1, type: relu}
    - {name: fc1, type: fc, outputs: 10}
    - {name: loss, type: softmax_loss}
solver:
  lr: 0.05
  momentum: 0.9
train:
  batch: 50
  iterations: 24
  display_every_steps: 0
`

func buildPiped(t *testing.T, augment string) *Job {
	t.Helper()
	job := buildSmall(t, strings.Replace(pipelineSpec, "AUGMENT", augment, 1), 2)
	t.Cleanup(func() { job.Close() })
	if job.Pipeline == nil {
		t.Fatal("the spec asks for the input pipeline, but the job has none")
	}
	return job
}

// TestPipelineMatchesLoader checks that, without augmentation, the input
// pipeline delivers the batches of the in-memory loader: the same samples
// in the same shuffled order, normalised alike (the two compute the same
// map in a different order of float32 operations).
func TestPipelineMatchesLoader(t *testing.T) {
	job := buildPiped(t, "pipeline: {threads: 2, depth: 3}")
	piped, mem := job.Batches(), InMemory(job.Loader)
	var px, py, mx, my tensor.Tensor
	for b := range 4 {
		pp, err := piped.Next(&px, &py)
		if err != nil {
			t.Fatal(err)
		}
		mp, _ := mem.Next(&mx, &my)
		if pp != mp {
			t.Fatalf("batch %d: pipeline at %v, loader at %v", b, pp, mp)
		}
		for i, want := range my.Data {
			if py.Data[i] != want {
				t.Fatalf("batch %d: label %d is %v, loader %v", b, i, py.Data[i], want)
			}
		}
		for i, want := range mx.Data {
			if d := math.Abs(float64(px.Data[i] - want)); d > 1e-5 {
				t.Fatalf("batch %d: value %d is %v, loader %v", b, i, px.Data[i], want)
			}
		}
	}
}

// TestPipelineResumeIsBitIdentical trains with random crops and mirrors
// read through the pipeline, in one go and with a checkpoint half way:
// the weights must match bit for bit, so the pipeline's position and its
// augmentation are restored exactly. The test set is cut in the centre.
func TestPipelineResumeIsBitIdentical(t *testing.T) {
	const augment = "augment: {crop: 24, pad: 2, mirror: true}"
	whole := buildPiped(t, augment)
	if got := whole.Test.SampleShape(); !got.Equal(tensor.Shape{1, 24, 24}) {
		t.Fatalf("test samples %v, want 1x24x24 centre crops", got)
	}
	checkResume(t, func() *Job { return buildPiped(t, augment) }, 11, 24)

	// The crops differ from the centre ones the in-memory loader gives.
	var px, py, mx, my tensor.Tensor
	piped := buildPiped(t, augment)
	if _, err := piped.Batches().Next(&px, &py); err != nil {
		t.Fatal(err)
	}
	InMemory(piped.Loader).Next(&mx, &my)
	if slices.Equal(px.Data, mx.Data) {
		t.Error("augmented batch equals the centre crops: no augmentation")
	}
}

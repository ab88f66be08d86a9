package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainModelParallelMatchesOneDevice trains the same spec on one device
// and cut into two columns on two workers, through mariana train, and
// expects the same final test loss.
func TestTrainModelParallelMatchesOneDevice(t *testing.T) {
	dir := t.TempDir()
	const body = `data:
  format: random
  random: {train: 256, test: 128, shape: [1, 8, 8], classes: 4}
model:
  layers:
    - {name: conv1, type: conv, filters: 4, kernel: 3, pad: 1}
    - {name: relu1, type: relu}
    - {name: pool1, type: pool, method: max, kernel: 2}
    - {name: fc1, type: fc, outputs: 8}
    - {name: fc2, type: fc, outputs: 4}
    - {name: loss, type: softmax_loss}
solver: {method: sgd, lr: 0.05, momentum: 0.9}
train: {batch: 32, epochs: 2, checkpoint_dir: ckpt-NAME}
`
	one := "name: one\n" + strings.ReplaceAll(body, "NAME", "one")
	two := "name: two\nparallel: {workers: 2, split: columns}\n" +
		strings.ReplaceAll(body, "NAME", "two")
	writeFile(t, filepath.Join(dir, "one.yaml"), one)
	writeFile(t, filepath.Join(dir, "two.yaml"), two)

	if err := run(t, dir, "train", "one.yaml", "--plain", "--metrics-json", "one.json"); err != nil {
		t.Fatal(err)
	}
	if err := run(t, dir, "train", "two.yaml", "--plain", "--metrics-json", "two.json"); err != nil {
		t.Fatal(err)
	}
	a := readMetrics(t, filepath.Join(dir, "one.json"))["test_loss"].(float64)
	b := readMetrics(t, filepath.Join(dir, "two.json"))["test_loss"].(float64)
	if math.Abs(a-b) > 1e-5*math.Abs(a) {
		t.Errorf("test loss %v on one device, %v on two model-parallel workers", a, b)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the mariana command in-process with args, in dir.
func run(t *testing.T, dir string, args ...string) error {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)

	root := newRoot()
	root.SetArgs(args)
	root.SetOut(new(bytes.Buffer))
	root.SetErr(new(bytes.Buffer))
	return root.ExecuteContext(context.Background())
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readMetrics(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func TestTrainRefusesABadSpecAndStartsNothing(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bad.yaml"), `name: bad
data: {format: mnist}
model:
  layers:
    - {name: fc1, type: fc, outputs: 10, kernal: 3}
    - {name: loss, type: softmax_loss}
solver: {lr: 0.1}
train: {batch: 8, epochs: 1}
`)
	err := run(t, dir, "train", "bad.yaml")
	if err == nil {
		t.Fatal("a spec with an unknown key was accepted")
	}
	if !strings.Contains(err.Error(), "bad.yaml:5:") || !strings.Contains(err.Error(), "kernal") {
		t.Errorf("error %q does not name the file, line and key", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs")); !os.IsNotExist(err) {
		t.Errorf("a refused spec left a runs folder behind (%v)", err)
	}
}

const tinySpec = `name: tiny
seed: 3
data:
  format: random
  random: {train: 512, test: 256, shape: [1, 6, 6], classes: 4}
model:
  layers:
    - {name: conv1, type: conv, filters: 3, kernel: 3}
    - {name: relu1, type: relu}
    - {name: fc1, type: fc, outputs: 4}
    - {name: loss, type: softmax_loss}
solver: {method: sgd, lr: 0.05, momentum: 0.9}
train: {batch: 32, epochs: 4, checkpoint_dir: ckpts, keep_checkpoints: 0}
`

// TestTrainEvalResume trains a tiny spec, scores its checkpoint with eval,
// and resumes from an earlier checkpoint to the same final model.
func TestTrainEvalResume(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "tiny.yaml"), tinySpec)

	if err := run(t, dir, "train", "tiny.yaml", "--plain", "--metrics-json", "m.json"); err != nil {
		t.Fatal(err)
	}
	m := readMetrics(t, filepath.Join(dir, "m.json"))
	if m["steps"] != 64.0 || m["test_samples"] != 256.0 {
		t.Fatalf("metrics %v: want 64 steps and 256 test samples", m)
	}
	final := filepath.Join(dir, "ckpts", "ckpt-000000064.safetensors")

	if err := run(t, dir, "eval", final, "--metrics-json", "e.json"); err != nil {
		t.Fatal(err)
	}
	e := readMetrics(t, filepath.Join(dir, "e.json"))
	if e["test_accuracy"] != m["test_accuracy"] || e["test_loss"] != m["test_loss"] {
		t.Errorf("eval of the final checkpoint gives %v, training ended with %v", e, m)
	}

	// Resume from the end of epoch 2 into a fresh folder: the run must end
	// with exactly the same test loss.
	mid := filepath.Join(dir, "ckpts", "ckpt-000000032.safetensors")
	if err := run(t, dir, "train", "tiny.yaml", "--plain", "--resume", mid,
		"--metrics-json", "r.json"); err != nil {
		t.Fatal(err)
	}
	r := readMetrics(t, filepath.Join(dir, "r.json"))
	if r["test_loss"] != m["test_loss"] || r["steps"] != 64.0 {
		t.Errorf("resumed run ended with %v, uninterrupted with %v", r, m)
	}
}

// TestMNISTLearns trains a small MLP on the real MNIST files for a few
// hundred steps and expects it to classify most of the test set.
func TestMNISTLearns(t *testing.T) {
	if testing.Short() {
		t.Skip("reads and trains on MNIST")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "mlp.yaml"), `name: mlp
data: {format: mnist, normalize: {mean: [0.1307], std: [0.3081]}}
model:
  layers:
    - {name: fc1, type: fc, outputs: 128}
    - {name: relu1, type: relu}
    - {name: fc2, type: fc, outputs: 10}
    - {name: loss, type: softmax_loss}
solver: {method: sgd, lr: 0.05, momentum: 0.9}
train: {batch: 64, iterations: 400, checkpoint_dir: ckpts}
`)
	trainReaches(t, dir, "mlp.yaml", 0.93)
}

// trainReaches trains the spec file in dir and fails t unless the final
// test accuracy is at least min.
func trainReaches(t *testing.T, dir, file string, min float64) {
	t.Helper()
	if err := run(t, dir, "train", file, "--plain", "--metrics-json", "m.json"); err != nil {
		t.Fatal(err)
	}
	m := readMetrics(t, filepath.Join(dir, "m.json"))
	if acc, _ := m["test_accuracy"].(float64); acc < min {
		t.Fatalf("%s: test accuracy %v, want at least %v", file, acc, min)
	}
}

// TestMNISTLearnsThroughThePipeline trains on random crops read through the
// input pipeline and evaluates on centre crops, in training and again from
// the checkpoint with eval.
func TestMNISTLearnsThroughThePipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("reads and trains on MNIST")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "mlp.yaml"), `name: mlp
data:
  format: mnist
  normalize: {mean: [0.1307], std: [0.3081]}
  augment: {crop: 26, pad: 1}
  pipeline: {threads: 2}
model:
  input: [1, 26, 26]
  layers:
    - {name: fc1, type: fc, outputs: 128}
    - {name: relu1, type: relu}
    - {name: fc2, type: fc, outputs: 10}
    - {name: loss, type: softmax_loss}
solver: {method: sgd, lr: 0.05, momentum: 0.9}
train: {batch: 64, iterations: 300, checkpoint_dir: ckpts}
`)
	trainReaches(t, dir, "mlp.yaml", 0.9)
	ckpt := filepath.Join(dir, "ckpts", "ckpt-000000300.safetensors")
	if err := run(t, dir, "eval", ckpt); err != nil {
		t.Fatal(err)
	}
}

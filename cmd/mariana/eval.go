package main

import (
	"fmt"
	"path/filepath"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/train"
	"github.com/spf13/cobra"
)

// metaSpecFile is the checkpoint metadata key holding the absolute path the
// spec was read from, so that its relative data folder still resolves.
const metaSpecFile = "mariana.spec_file"

func newEvalCmd() *cobra.Command {
	var specArg, metricsJSON string
	var threads int
	cmd := &cobra.Command{
		Use:   "eval CHECKPOINT",
		Short: "Score a checkpoint on the test set of its spec",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEval(args[0], specArg, threads, metricsJSON)
		},
	}
	cmd.Flags().StringVar(&specArg, "spec", "",
		"spec to build the network and test set from (default: the one stored in the checkpoint)")
	cmd.Flags().IntVar(&threads, "threads", 0, "CPU threads to compute with")
	cmd.Flags().StringVar(&metricsJSON, "metrics-json", "",
		"write the metrics as JSON to this file (- for standard output)")
	return cmd
}

func runEval(path, specArg string, threads int, metricsJSON string) error {
	c, err := checkpoint.Read(path)
	if err != nil {
		return err
	}

	var s *spec.Spec
	if specArg != "" {
		s, _, err = loadSpec(specArg)
	} else {
		s, err = storedSpec(path, c)
	}
	if err != nil {
		return err
	}

	job, err := train.Build(s, train.Options{Threads: threads, InMemory: true})
	if err != nil {
		return err
	}
	if job.Test == nil {
		return fmt.Errorf("%s: the spec has no test set to evaluate on", s.File)
	}
	if err := train.LoadParams(c, job.Net.Params()); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}

	tr, err := train.New(train.Config{Steps: 1, TestBatch: s.Train.TestBatch},
		job.Net, job.Solver, job.Batches(), job.Test, job.Context, nil)
	if err != nil {
		return err
	}
	e := tr.Evaluate()
	fmt.Printf("%s: test accuracy %.2f%% (loss %.4f) on %d samples\n",
		path, 100*e.Accuracy, e.Loss, e.Samples)
	if metricsJSON == "" {
		return nil
	}
	return writeJSON(metricsJSON, map[string]any{
		"checkpoint": path, "spec": s.Name, "test_accuracy": e.Accuracy,
		"test_loss": e.Loss, "test_samples": e.Samples,
	})
}

// storedSpec parses the spec a training run stored in its checkpoint.
func storedSpec(path string, c *checkpoint.Checkpoint) (*spec.Spec, error) {
	src, ok := c.Metadata[metaSpec]
	if !ok {
		return nil, fmt.Errorf("%s: no spec stored in the checkpoint; give one with --spec", path)
	}
	name := c.Metadata[metaSpecFile]
	if name == "" {
		name = filepath.Join(filepath.Dir(path), "spec.yaml")
	}
	return spec.Parse(name, []byte(src))
}

// Command mariana trains, evaluates and benchmarks the networks that Mariana
// specs describe.
//
//	mariana train mnist-mlp            # an example spec, by name
//	mariana train my.yaml --resume runs/my/ckpt-000004690.safetensors
//	mariana eval runs/my/ckpt-000004690.safetensors
//	mariana bench mnist-lenet          # throughput on random data
//	mariana train speech-dnn --devices 2   # data-parallel on 2 devices
//	mariana launch -n 2 mnist-mlp      # data-parallel in 2 processes
//	mariana worker --rank 1 --peers h0:7000,h1:7000 mnist-mlp   # on host h1
//	mariana examples                   # list the example specs
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRoot().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mariana:", err)
		if errors.Is(err, context.Canceled) {
			os.Exit(130)
		}
		os.Exit(1)
	}
}

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "mariana",
		Short: "Mariana trains dense and convolutional networks",
		Long: "Mariana trains dense and convolutional networks described by YAML specs.\n" +
			"A SPEC argument is a spec file or the name of an example (see `mariana examples`).",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newTrainCmd(), newEvalCmd(), newBenchCmd(), newExamplesCmd(),
		newLaunchCmd(), newWorkerCmd())
	return root
}

// newLogger returns the command's structured logger, on standard error.
func newLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

package main

import (
	"fmt"
	"os"

	"github.com/mariana-dl/mariana/examples"
	"github.com/spf13/cobra"
)

func newExamplesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "examples [NAME]",
		Short: "List the example specs, or print one",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				for _, n := range examples.Names() {
					fmt.Println(n)
				}
				return nil
			}
			src, err := examples.Source(args[0])
			if err != nil {
				return err
			}
			_, err = os.Stdout.Write(src)
			return err
		},
	}
}

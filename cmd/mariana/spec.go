package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mariana-dl/mariana/examples"
	"github.com/mariana-dl/mariana/spec"
)

// loadSpec reads the spec a SPEC argument names: a file if one exists at
// that path, otherwise an example.
func loadSpec(arg string) (*spec.Spec, []byte, error) {
	src, err := os.ReadFile(arg)
	if err == nil {
		s, err := spec.Parse(arg, src)
		return s, src, err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}

	src, exErr := examples.Source(arg)
	if exErr != nil {
		return nil, nil, fmt.Errorf("%s: no such file, and no example of that name (examples: %v)",
			arg, examples.Names())
	}
	s, err := examples.Load(arg)
	return s, src, err
}

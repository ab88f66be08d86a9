package examples

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/mariana-dl/mariana/spec"
)

// files holds the example specs, one NAME.yaml each.
//
//go:embed *.yaml
var files embed.FS

const ext = ".yaml"

// Names returns the names of the examples, sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		// The embedded folder is fixed at build time; reading it cannot
		// fail.
		panic("examples: read embedded specs: " + err.Error())
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ext); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Source returns the text of the example spec called name, such as
// "mnist-mlp". The caller may modify it.
func Source(name string) ([]byte, error) {
	if !slices.Contains(Names(), name) {
		return nil, fmt.Errorf("%w %q; the examples are %s", ErrUnknown, name,
			strings.Join(Names(), ", "))
	}
	return files.ReadFile(name + ext)
}

// Load parses the example spec called name. Its File is NAME.yaml, so a
// relative data.dir resolves against the working directory.
func Load(name string) (*spec.Spec, error) {
	src, err := Source(name)
	if err != nil {
		return nil, err
	}
	return spec.Parse(name+ext, src)
}

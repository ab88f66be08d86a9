package checkpoint

import (
	"unicode/utf8"

	"github.com/mariana-dl/mariana/tensor"
)

// metadataKey is the header entry that holds the metadata; no tensor may
// have this name.
const metadataKey = "__metadata__"

// Checkpoint is a set of named tensors and string metadata. Names fixes the
// order of the tensors in the file; every name in it has a tensor in
// Tensors and every tensor a name in it.
type Checkpoint struct {
	Names    []string
	Tensors  map[string]*tensor.Tensor
	Metadata map[string]string
}

// New returns an empty checkpoint ready for [Checkpoint.Add].
func New() *Checkpoint {
	return &Checkpoint{Tensors: make(map[string]*tensor.Tensor), Metadata: make(map[string]string)}
}

// Add appends t under name. The checkpoint keeps t, not a copy.
func (c *Checkpoint) Add(name string, t *tensor.Tensor) error {
	if err := checkName(name); err != nil {
		return err
	}
	if _, dup := c.Tensors[name]; dup {
		return invalidf("tensor %q added twice", name)
	}
	if c.Tensors == nil {
		c.Tensors = make(map[string]*tensor.Tensor)
	}
	c.Names = append(c.Names, name)
	c.Tensors[name] = t
	return nil
}

// checkName reports whether name can name a tensor.
func checkName(name string) error {
	switch {
	case name == "":
		return invalidf("tensor with an empty name")
	case name == metadataKey:
		return invalidf("tensor name %q is reserved for the metadata", name)
	case !utf8.ValidString(name):
		return invalidf("tensor name %q is not UTF-8", name)
	}
	return nil
}

// validate checks that c can be written.
func (c *Checkpoint) validate() error {
	seen := make(map[string]bool, len(c.Names))
	for _, name := range c.Names {
		if err := checkName(name); err != nil {
			return err
		}
		if seen[name] {
			return invalidf("tensor %q listed twice in Names", name)
		}
		seen[name] = true

		t := c.Tensors[name]
		if t == nil {
			return invalidf("tensor %q is listed in Names but has no tensor", name)
		}
		for _, d := range t.Shape {
			if d < 0 {
				return invalidf("tensor %q: shape %v has a negative dimension", name, t.Shape)
			}
		}
		if t.Shape.Size() != len(t.Data) {
			return invalidf("tensor %q: shape %v needs %d values, it holds %d", name, t.Shape,
				t.Shape.Size(), len(t.Data))
		}
	}
	if len(c.Tensors) != len(c.Names) {
		for name := range c.Tensors {
			if !seen[name] {
				return invalidf("tensor %q is missing from Names", name)
			}
		}
	}
	for k, v := range c.Metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return invalidf("metadata %q: keys and values must be UTF-8", k)
		}
	}
	return nil
}

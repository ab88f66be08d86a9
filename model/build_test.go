package model

import (
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/examples"
	"github.com/mariana-dl/mariana/spec"
)

func TestFromSpecNamesTheLineOfAShapeError(t *testing.T) {
	src := `name: bad
data: {format: mnist}
model:
  layers:
    - {name: conv1, type: conv, filters: 4, kernel: 5}
    - {name: conv2, type: conv, filters: 4, kernel: 30}
    - {name: loss, type: softmax_loss}
solver: {lr: 0.1}
train: {batch: 8, epochs: 1}
`
	s, err := spec.Parse("bad.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, err = FromSpec(s)
	if err == nil {
		t.Fatal("a 30x30 kernel on a 24x24 input was accepted")
	}
	for _, want := range []string{"bad.yaml:6:", "conv2", "kernel"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestEveryExampleBuilds(t *testing.T) {
	for _, name := range examples.Names() {
		s, err := examples.Load(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g, err := FromSpec(s)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		logits := g.Nodes()[g.Loss()].Inputs[0]
		i, _ := g.Lookup(logits)
		if got, want := g.Shape(i).Size(), s.Data.Classes(); got != want {
			t.Errorf("%s: %d logits for %d classes", name, got, want)
		}
	}
}

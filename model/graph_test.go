package model

import (
	"errors"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

func fc(name string, out int) layer.Layer {
	return layer.NewFullyConnected(name, layer.FullyConnectedConfig{Outputs: out})
}

func TestNewGraphRefusesBadGraphs(t *testing.T) {
	loss := func() layer.Layer { return layer.NewSoftmaxLoss("loss") }
	cases := []struct {
		name  string
		nodes []Node
		index int // of the node the error is about; -1 for none
		want  string
	}{
		{"duplicate", []Node{
			{fc("a", 3), []string{"data"}},
			{fc("a", 3), []string{"data"}},
		}, 1, `duplicate layer name "a"`},
		{"reserved", []Node{{fc("data", 3), []string{"data"}}}, 0, `"data" is reserved`},
		{"unknown input", []Node{
			{fc("a", 3), []string{"nope"}},
		}, 0, `unknown input "nope"`},
		{"cycle", []Node{
			{fc("a", 3), []string{"b"}},
			{fc("b", 3), []string{"a"}},
			{loss(), []string{"b", "label"}},
		}, 0, "cycle"},
		{"no loss", []Node{{fc("a", 3), []string{"data"}}}, -1, "no softmax_loss"},
		{"two losses", []Node{
			{fc("a", 3), []string{"data"}},
			{layer.NewSoftmaxLoss("l1"), []string{"a", "label"}},
			{layer.NewSoftmaxLoss("l2"), []string{"a", "label"}},
		}, 2, "second softmax_loss"},
		{"reads loss", []Node{
			{fc("a", 3), []string{"data"}},
			{loss(), []string{"a", "label"}},
			{fc("b", 3), []string{"loss"}},
		}, 2, "cannot read the loss"},
		{"bad layer config", []Node{
			{fc("a", 0), []string{"data"}},
			{loss(), []string{"a", "label"}},
		}, 0, "outputs must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewGraph(tensor.Shape{4}, tc.nodes)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			ne, ok := errors.AsType[*NodeError](err)
			if tc.index < 0 {
				if ok {
					t.Fatalf("error names node %d, want none", ne.Index)
				}
				return
			}
			if !ok || ne.Index != tc.index {
				t.Fatalf("error %v is not about node %d", err, tc.index)
			}
		})
	}
}

func TestNewGraphSortsTopologically(t *testing.T) {
	// Given out of order: the loss first, then a layer that reads a later
	// one.
	g, err := NewGraph(tensor.Shape{4}, []Node{
		{layer.NewSoftmaxLoss("loss"), []string{"b", "label"}},
		{fc("b", 3), []string{"a"}},
		{fc("a", 5), []string{"data"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range g.Nodes() {
		got = append(got, n.Layer.Name())
	}
	if strings.Join(got, ",") != "a,b,loss" {
		t.Fatalf("order %v, want a,b,loss", got)
	}
	if i, _ := g.Lookup("b"); !g.Shape(i).Equal(tensor.Shape{3}) {
		t.Errorf("b has shape %v, want 3", g.Shape(i))
	}
}

func TestLayerSeedDependsOnNameAndSeedOnly(t *testing.T) {
	if LayerSeed(1, "fc1") != LayerSeed(1, "fc1") {
		t.Fatal("LayerSeed is not deterministic")
	}
	if LayerSeed(1, "fc1") == LayerSeed(1, "fc2") || LayerSeed(1, "fc1") == LayerSeed(2, "fc1") {
		t.Fatal("LayerSeed ignores the name or the seed")
	}
}

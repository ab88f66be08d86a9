package model

import (
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// The reserved input names.
const (
	DataInput  = "data"
	LabelInput = "label"
)

// Node is one layer of a graph and the names of the nodes (or reserved
// inputs) it reads, in the order of the layer's inputs.
type Node struct {
	Layer  layer.Layer
	Inputs []string
}

// NodeError is an error that belongs to one node, by its index in the list
// given to [NewGraph], so that a caller can point at the spec line that
// declared it.
type NodeError struct {
	Index int
	Err   error
}

func (e *NodeError) Error() string { return e.Err.Error() }
func (e *NodeError) Unwrap() error { return e.Err }

// Graph is a validated DAG of layers, topologically sorted, with the
// per-sample shape of every node's output.
type Graph struct {
	// Input is the per-sample shape of the data.
	Input tensor.Shape

	nodes  []Node
	shapes []tensor.Shape
	index  map[string]int
	loss   int
}

// NewGraph checks the nodes (unique names, known inputs, no cycles, exactly
// one softmax loss, which nothing reads), sorts them so that every node
// comes after its inputs (keeping the given order where it already does),
// and sets every layer up, inferring the shapes. Errors about one node are
// a *NodeError.
func NewGraph(input tensor.Shape, nodes []Node) (*Graph, error) {
	g := &Graph{Input: input.Clone(), index: make(map[string]int, len(nodes)), loss: -1}

	given := make(map[string]int, len(nodes))
	for i, n := range nodes {
		name := n.Layer.Name()
		if name == DataInput || name == LabelInput {
			return nil, &NodeError{i, fmt.Errorf("model: layer name %q is reserved", name)}
		}
		if _, dup := given[name]; dup {
			return nil, &NodeError{i, fmt.Errorf("model: duplicate layer name %q", name)}
		}
		given[name] = i
	}

	order, err := topoSort(nodes, given)
	if err != nil {
		return nil, err
	}

	for _, i := range order {
		if err := g.add(i, nodes[i]); err != nil {
			return nil, err
		}
	}
	if g.loss < 0 {
		return nil, errors.New("model: the network has no softmax_loss layer")
	}
	return g, nil
}

// add sets up node n (given at index i) after its inputs.
func (g *Graph) add(i int, n Node) error {
	in := make([]tensor.Shape, len(n.Inputs))
	for j, name := range n.Inputs {
		switch name {
		case DataInput:
			in[j] = g.Input
		case LabelInput:
			in[j] = tensor.Shape{1}
		default:
			src := g.index[name]
			if src == g.loss {
				return &NodeError{i, fmt.Errorf("model: %s: cannot read the loss layer %q",
					n.Layer.Name(), name)}
			}
			in[j] = g.shapes[src]
		}
	}

	out, err := n.Layer.Setup(in)
	if err != nil {
		return &NodeError{i, err}
	}

	if n.Layer.Type() == "softmax_loss" {
		if g.loss >= 0 {
			return &NodeError{i, fmt.Errorf("model: %s: a second softmax_loss layer (first: %s)",
				n.Layer.Name(), g.nodes[g.loss].Layer.Name())}
		}
		g.loss = len(g.nodes)
	}
	g.index[n.Layer.Name()] = len(g.nodes)
	g.nodes = append(g.nodes, Node{Layer: n.Layer, Inputs: append([]string(nil), n.Inputs...)})
	g.shapes = append(g.shapes, out)
	return nil
}

// topoSort returns the node indices in an order where every node follows
// its inputs; among ready nodes the earliest given comes first, so a list
// that is already sorted keeps its order.
func topoSort(nodes []Node, given map[string]int) ([]int, error) {
	pending := make([]int, len(nodes))
	readers := make([][]int, len(nodes))
	for i, n := range nodes {
		if len(n.Inputs) == 0 {
			return nil, &NodeError{i, fmt.Errorf("model: %s: no inputs", n.Layer.Name())}
		}
		for _, name := range n.Inputs {
			if name == DataInput || name == LabelInput {
				continue
			}
			src, ok := given[name]
			if !ok {
				return nil, &NodeError{i, fmt.Errorf("model: %s: unknown input %q",
					n.Layer.Name(), name)}
			}
			pending[i]++
			readers[src] = append(readers[src], i)
		}
	}

	order := make([]int, 0, len(nodes))
	done := make([]bool, len(nodes))
	for len(order) < len(nodes) {
		next := -1
		for i := range nodes {
			if !done[i] && pending[i] == 0 {
				next = i
				break
			}
		}
		if next < 0 {
			for i := range nodes {
				if !done[i] {
					return nil, &NodeError{i, fmt.Errorf("model: %s: its inputs form a cycle",
						nodes[i].Layer.Name())}
				}
			}
		}
		done[next] = true
		order = append(order, next)
		for _, r := range readers[next] {
			pending[r]--
		}
	}
	return order, nil
}

// Nodes returns the nodes in topological order. The slice must not be
// modified.
func (g *Graph) Nodes() []Node { return g.nodes }

// Shape returns the per-sample output shape of the node at index i of
// [Graph.Nodes].
func (g *Graph) Shape(i int) tensor.Shape { return g.shapes[i] }

// Lookup returns the index in [Graph.Nodes] of the node with the given name.
func (g *Graph) Lookup(name string) (int, bool) {
	i, ok := g.index[name]
	return i, ok
}

// Loss returns the index of the softmax loss node.
func (g *Graph) Loss() int { return g.loss }

// Params returns every learnable parameter, in node order.
func (g *Graph) Params() []*layer.Param {
	var ps []*layer.Param
	for _, n := range g.nodes {
		ps = append(ps, n.Layer.Params()...)
	}
	return ps
}

// Init fills every layer's parameters. Each layer's seed derives from seed
// and the layer's name only, so a network gets the same weights whether it
// runs whole, as replicas or cut into partitions.
func (g *Graph) Init(seed uint64) {
	for _, n := range g.nodes {
		if in, ok := n.Layer.(layer.Initializer); ok {
			in.Init(LayerSeed(seed, n.Layer.Name()))
		}
	}
}

// LayerSeed derives a layer's seed from the network seed and its name.
func LayerSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(seed >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(name))
	return h.Sum64()
}

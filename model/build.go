package model

import (
	"errors"
	"fmt"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/spec"
)

// FromSpec builds the graph a spec's model describes, with its parameters
// not yet filled (see [Graph.Init]). An error about one layer names the
// spec file and the line that declared it.
func FromSpec(s *spec.Spec) (*Graph, error) {
	nodes := make([]Node, len(s.Model.Layers))
	for i, ls := range s.Model.Layers {
		l, err := newLayer(ls)
		if err != nil {
			return nil, s.LayerError(i, err)
		}
		nodes[i] = Node{Layer: l, Inputs: ls.Inputs}
	}

	g, err := NewGraph(s.Model.Input, nodes)
	if err != nil {
		if ne, ok := errors.AsType[*NodeError](err); ok {
			return nil, s.LayerError(ne.Index, ne.Err)
		}
		return nil, err
	}

	// The multipliers apply after Setup, which is where parameters appear.
	for _, ls := range s.Model.Layers {
		i, _ := g.Lookup(ls.Name)
		setMultipliers(g.Nodes()[i].Layer.Params(), ls)
	}
	return g, nil
}

// NewLayer constructs the layer a spec entry describes, named ls.Name and
// not yet set up. The model-parallel framework uses it to build the parts
// of a network cut into partitions: it renames and reshapes the entry, then
// builds each part.
func NewLayer(ls spec.LayerSpec) (layer.Layer, error) {
	return newLayer(ls)
}

// newLayer constructs the layer a spec entry describes.
func newLayer(ls spec.LayerSpec) (layer.Layer, error) {
	switch ls.Type {
	case spec.TypeFC:
		return layer.NewFullyConnected(ls.Name, ls.Config.(layer.FullyConnectedConfig)), nil
	case spec.TypeConv:
		return layer.NewConv2D(ls.Name, ls.Config.(layer.Conv2DConfig)), nil
	case spec.TypePool:
		return layer.NewPool(ls.Name, ls.Config.(layer.PoolConfig)), nil
	case spec.TypeDropout:
		return layer.NewDropout(ls.Name, ls.Config.(layer.DropoutConfig)), nil
	case spec.TypeLRN:
		return layer.NewLRN(ls.Name, ls.Config.(layer.LRNConfig)), nil
	case spec.TypeReLU:
		return layer.NewReLU(ls.Name), nil
	case spec.TypeSigmoid:
		return layer.NewSigmoid(ls.Name), nil
	case spec.TypeTanh:
		return layer.NewTanh(ls.Name), nil
	case spec.TypeSoftmaxLoss:
		return layer.NewSoftmaxLoss(ls.Name), nil
	case spec.TypeConcat:
		return layer.NewConcat(ls.Name), nil
	}
	return nil, fmt.Errorf("model: %s: unknown layer type %q", ls.Name, ls.Type)
}

// setMultipliers copies a layer's learning-rate and decay multipliers onto
// its parameters: the first is the weight, the second, if any, the bias.
func setMultipliers(params []*layer.Param, ls spec.LayerSpec) {
	for j, p := range params {
		if j == 0 {
			p.LRMult, p.DecayMult = ls.LRMult, ls.DecayMult
			continue
		}
		p.LRMult, p.DecayMult = ls.BiasLRMult, ls.BiasDecayMult
	}
}

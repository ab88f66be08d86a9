package train

import (
	"fmt"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/layer"
)

// LoadParams copies every parameter's value from a checkpoint, checking
// that each is there with the right shape.
func LoadParams(c *checkpoint.Checkpoint, params []*layer.Param) error {
	for _, p := range params {
		v, ok := c.Tensors[p.Name]
		if !ok {
			return fmt.Errorf("train: checkpoint has no tensor %q: "+
				"was it written for another network?", p.Name)
		}
		if !v.Shape.Equal(p.Value.Shape) {
			return fmt.Errorf("train: checkpoint tensor %q has shape %v, the network wants %v",
				p.Name, v.Shape, p.Value.Shape)
		}
		copy(p.Value.Data, v.Data)
	}
	return nil
}

func isParam(params []*layer.Param, name string) bool {
	for _, p := range params {
		if p.Name == name {
			return true
		}
	}
	return false
}

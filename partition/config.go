package partition

import (
	"fmt"
	"slices"

	"github.com/mariana-dl/mariana/spec"
)

// Config says how a network is placed on worker groups.
type Config struct {
	// Groups is the number of worker groups, the data-parallel replicas
	// of the partitioned network; at least 1. Each takes an equal share
	// of every mini-batch.
	Groups int

	// Workers is the number of workers of a group, each holding one
	// partition; at least 1.
	Workers int

	// Split is how the network is cut: spec.SplitNone (one worker),
	// spec.SplitColumns or spec.SplitExplicit.
	Split spec.Split

	// Exchange names the algorithm that sums gradients across groups;
	// empty or spec.ExchangeAuto lets the exchange planner choose.
	Exchange spec.ExchangeAlgorithm

	// Assign maps spec layer names to partitions. With SplitExplicit a
	// layer missing from it goes where the layer listed above it goes
	// (the first layer: partition 0); with SplitColumns the layers in it
	// stay whole on their partition instead of being cut.
	Assign map[string]int
}

// FromSpec returns the placement a spec's parallel section and partition
// keys describe.
func FromSpec(s *spec.Spec) Config {
	p := s.Parallel
	c := Config{Groups: p.Groups, Workers: p.Workers, Split: p.Split, Exchange: p.Exchange}
	for _, l := range s.Model.Layers {
		if l.HasPartition {
			if c.Assign == nil {
				c.Assign = map[string]int{}
			}
			c.Assign[l.Name] = l.Partition
		}
	}
	return c
}

// validate checks c against the spec's layers and returns each spec layer's
// partition: the assigned one, or -1 for a layer to cut into columns.
func (c Config) validate(s *spec.Spec) ([]int, error) {
	if c.Groups < 1 || c.Workers < 1 {
		return nil, fmt.Errorf("%w: %d groups of %d workers, want at least 1 of each",
			ErrConfig, c.Groups, c.Workers)
	}
	split := c.Split
	if split == "" {
		split = spec.SplitNone
	}
	switch split {
	case spec.SplitNone:
		if c.Workers > 1 {
			return nil, fmt.Errorf("%w: %d workers need split columns or explicit",
				ErrConfig, c.Workers)
		}
	case spec.SplitColumns, spec.SplitExplicit:
	default:
		return nil, fmt.Errorf("%w: unknown split %q", ErrConfig, split)
	}
	for name, p := range c.Assign {
		if !slices.ContainsFunc(s.Model.Layers, func(l spec.LayerSpec) bool {
			return l.Name == name
		}) {
			return nil, fmt.Errorf("%w: assignment of %q, which is no layer of %s",
				ErrConfig, name, s.Name)
		}
		if p < 0 || p >= c.Workers {
			return nil, fmt.Errorf("%w: %s assigned to partition %d of %d",
				ErrConfig, name, p, c.Workers)
		}
	}

	parts := make([]int, len(s.Model.Layers))
	prev := 0
	for i, l := range s.Model.Layers {
		p, ok := c.Assign[l.Name]
		switch {
		case split == spec.SplitNone:
			p = 0
		case split == spec.SplitColumns && !ok:
			p = -1
		case split == spec.SplitExplicit && !ok:
			p = prev
		}
		parts[i], prev = p, p
	}
	if split == spec.SplitExplicit {
		for k := 0; k < c.Workers; k++ {
			if !slices.Contains(parts, k) {
				return nil, fmt.Errorf("%w: no layer is in partition %d of %d", ErrConfig, k,
					c.Workers)
			}
		}
	}
	return parts, nil
}

package dataparallel

import (
	"fmt"
	"strings"

	"github.com/mariana-dl/mariana/exchange"
)

// Plan is how a group exchanges: the planner's choice for the whole
// gradient buffer, which is what a user reads, and its choice for each
// segment, which is what runs.
type Plan struct {
	// Whole is the plan for the whole buffer at once.
	Whole exchange.Plan

	// Segments are the plans of the segments, in exchange order, with
	// the layers each holds.
	Segments []SegmentPlan

	// State is where the solver's history lives.
	State StateMode
}

// SegmentPlan is the plan of one segment.
type SegmentPlan struct {
	Layers string // "fc5", or "fc3+fc2" when small layers share a segment
	Plan   exchange.Plan

	// Factors says that the owners compute the segment's gradient from
	// the replicas' factors (Note [Sufficient factors]); Plan's algorithm
	// then only carries the barrier before it.
	Factors bool
}

// String reads like the whole plan's, followed by the segments:
// "chain 0→1 over 2 devices, ... ; segments fc5 24.6 MB chain, fc4 16.8 MB
// chain; solver state with the owners".
func (p Plan) String() string {
	var b strings.Builder
	b.WriteString(p.Whole.String())
	b.WriteString("; segments")
	for i, s := range p.Segments {
		if i > 0 {
			b.WriteByte(',')
		}
		how := s.Plan.Config.Algorithm
		if s.Factors {
			how = "sufficient factors"
		}
		fmt.Fprintf(&b, " %s %s %s", s.Layers, exchange.FormatBytes(s.Plan.Bytes), how)
	}
	switch p.State {
	case ReplicatedState:
		b.WriteString("; solver state replicated")
	default:
		b.WriteString("; solver state with the owners")
	}
	return b.String()
}

// plan chooses the algorithm of the whole buffer and of each segment.
func plan(topo exchange.Topology, lay *layout, cfg Config) (Plan, error) {
	want := exchange.Config{Ordered: cfg.Ordered}
	if cfg.Algorithm != Auto {
		want.Algorithm = cfg.Algorithm
	}
	whole, err := exchange.Choose(topo, 4*int64(lay.size), want)
	if err != nil {
		return Plan{}, fmt.Errorf("dataparallel: plan: %w", err)
	}
	p := Plan{Whole: whole, State: cfg.State}
	for _, s := range lay.segments {
		sp, err := exchange.Choose(topo, 4*int64(s.hi-s.lo), want)
		if err != nil {
			return Plan{}, fmt.Errorf("dataparallel: plan of %s: %w", s.name, err)
		}
		p.Segments = append(p.Segments, SegmentPlan{Layers: s.name, Plan: sp, Factors: s.factor})
	}
	return p, nil
}

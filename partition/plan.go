package partition

import (
	"fmt"
	"strings"

	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/tensor"
)

// Plan is a network cut into partitions: what each worker of a group
// computes, and where Transfer Layers carry tensors between them. Its
// String is the table a user sees before training starts.
type Plan struct {
	// Config is the placement the plan was made for.
	Config Config

	// Partitions describes each partition, by index.
	Partitions []PartitionPlan

	// Transfers lists the Transfer Layers, in the order they run.
	Transfers []TransferPlan

	// Input is the per-sample shape of the data.
	Input tensor.Shape

	// LossPartition is the partition that computes the loss.
	LossPartition int

	nodes []node
	loss  int // node index of the loss

	// exactSums: every gradient is summed in the whole network's order
	// (split explicit or none).
	exactSums bool
}

// PartitionPlan is what one worker of every group holds and computes.
type PartitionPlan struct {
	// Layers names the layers the partition computes, in order: spec
	// layers kept whole have their own name, column k of a cut layer is
	// NAME[k] (see Note [Columns]).
	Layers []string

	// ParamBytes is the size of the partition's parameters; the device
	// holds as much again for their gradients, and the solver's history.
	ParamBytes int64

	// ActivationBytes is the size of one sample's outputs of the
	// partition's layers and plumbing (crops, concats), Transfer Layers
	// aside; training holds about as much again for their gradients.
	ActivationBytes int64

	// TransferBytes is the size of one sample's activations the partition
	// receives through Transfer Layers.
	TransferBytes int64

	// FLOPs estimates one sample's forward pass, from the layers that
	// report it (layer.FLOPer).
	FLOPs int64
}

// TransferPlan is one Transfer Layer.
type TransferPlan struct {
	// Name is the layer's name: SOURCE>TO or SOURCE[LO:HI]>TO.
	Name string

	// From and To are the producing and consuming partitions.
	From, To int

	// Source is the layer whose output it carries, channels [Lo, Hi) of
	// its Channels.
	Source         string
	Lo, Hi         int
	SourceChannels int

	// Reader is the first layer of partition To that reads it.
	Reader string

	// Bytes is one sample's activations carried forward; the same comes
	// back as gradients when Backward is set.
	Bytes    int64
	Backward bool
}

// NewPlan cuts the network of spec s, whose graph g is (model.FromSpec),
// as cfg says. A layer that cannot be cut so gives an error wrapping
// ErrSplit positioned at its spec line.
//
// With split explicit (or none) every layer runs whole, and the partitioned
// network computes bit for bit what model.Net computes on one device with
// the same thread count: each reader of a layer on another partition gets
// a Transfer Layer of its own (a tensor read twice on one partition
// travels twice), so that the gradients of a layer's readers are summed
// one by one in the whole network's order. With split columns the
// forward pass is exact too, and the backward pass differs in the order of
// additions only; see Note [Columns].
func NewPlan(s *spec.Spec, g *model.Graph, cfg Config) (*Plan, error) {
	parts, err := cfg.validate(s)
	if err != nil {
		return nil, err
	}
	if cfg.Split == "" {
		cfg.Split = spec.SplitNone
	}
	b, err := newBuilder(s, g, cfg, parts)
	if err != nil {
		return nil, err
	}
	b.perReader = cfg.Split != spec.SplitColumns
	if err := b.cut(); err != nil {
		return nil, err
	}

	p := &Plan{Config: cfg, Input: g.Input.Clone(), nodes: b.nodes,
		Partitions: make([]PartitionPlan, cfg.Workers), loss: -1, exactSums: b.perReader}
	// The reader of a transfer is the first layer that reads it, through
	// any concat or crop.
	first := make([]int, len(b.nodes))
	for i := range first {
		first[i] = -1
	}
	for i := len(b.nodes) - 1; i >= 0; i-- {
		for _, r := range b.nodes[i].inputs {
			if r >= 0 {
				first[r] = i
			}
		}
	}
	readers := make([]string, len(b.nodes))
	for i := len(b.nodes) - 1; i >= 0; i-- {
		switch r := first[i]; {
		case r < 0:
		case b.nodes[r].origin < 0:
			readers[i] = readers[r]
		default:
			readers[i] = b.nodes[r].name
		}
	}
	for i, n := range b.nodes {
		pp := &p.Partitions[n.part]
		bytes := int64(n.shape.Size()) * 4
		switch n.kind {
		case kindTransfer:
			pp.TransferBytes += bytes
			src := b.nodes[n.src]
			p.Transfers = append(p.Transfers, TransferPlan{Name: n.name, From: src.part,
				To: n.part, Source: src.name, Lo: n.lo, Hi: n.hi,
				SourceChannels: channels(src.shape), Reader: readers[i], Bytes: bytes,
				Backward: n.needGrad})
			continue
		case kindLayer:
			pp.Layers = append(pp.Layers, n.name)
		}
		pp.ActivationBytes += bytes
		pp.ParamBytes += n.paramBytes
		pp.FLOPs += n.flops
		if n.origin == g.Loss() {
			p.loss, p.LossPartition = i, n.part
		}
	}
	return p, nil
}

// String formats the plan as a table for logs.
func (p *Plan) String() string {
	var b strings.Builder
	c := p.Config
	fmt.Fprintf(&b, "plan: %d group(s) of %d worker(s), split %s; the loss on partition %d\n",
		c.Groups, c.Workers, c.Split, p.LossPartition)
	fmt.Fprintf(&b, "%-9s  %6s  %10s  %12s  %15s  %12s\n", "partition", "layers", "params",
		"act/sample", "transfer/sample", "FLOP/sample")
	for k, pp := range p.Partitions {
		fmt.Fprintf(&b, "%-9d  %6d  %10s  %12s  %15s  %12s\n", k, len(pp.Layers),
			formatBytes(pp.ParamBytes), formatBytes(pp.ActivationBytes),
			formatBytes(pp.TransferBytes), formatFLOPs(pp.FLOPs))
	}
	for k, pp := range p.Partitions {
		fmt.Fprintf(&b, "partition %d: %s\n", k, strings.Join(pp.Layers, " "))
	}
	if len(p.Transfers) == 0 {
		b.WriteString("no transfers\n")
		return b.String()
	}
	fmt.Fprintf(&b, "transfers (per sample; gradients return the same way unless marked):\n")
	for _, t := range p.Transfers {
		back := ""
		if !t.Backward {
			back = " (forward only)"
		}
		fmt.Fprintf(&b, "  %d -> %d  %s channels %d:%d of %d  %s  for %s%s\n", t.From, t.To,
			t.Source, t.Lo, t.Hi, t.SourceChannels, formatBytes(t.Bytes), t.Reader, back)
	}
	return b.String()
}

// formatBytes writes a size with a binary prefix: 512 B, 1.5 KiB, 3.0 MiB.
func formatBytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

// formatFLOPs writes a count of operations with a decimal prefix: 950,
// 12.3 M, 1.50 G.
func formatFLOPs(n int64) string {
	switch {
	case n < 1e3:
		return fmt.Sprintf("%d", n)
	case n < 1e6:
		return fmt.Sprintf("%.1f k", float64(n)/1e3)
	case n < 1e9:
		return fmt.Sprintf("%.1f M", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f G", float64(n)/1e9)
}

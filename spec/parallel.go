package spec

import (
	"gopkg.in/yaml.v3"
)

// Parallel places a job on devices. Two frameworks read it, and a spec
// uses one of them:
//
//   - the data-parallel framework: Devices replicas of the whole network,
//     each taking an equal share of every mini-batch, whose gradients are
//     summed by the Exchange algorithm after each step;
//   - the model-parallel framework: Groups worker groups of Workers
//     workers each. Inside a group each worker holds one partition of the
//     network, cut as Split says; the groups are replicas of each other,
//     each taking an equal share of the mini-batch, and the workers that
//     hold the same partition exchange their gradients.
//
// Without a parallel section the job runs on one device.
type Parallel struct {
	// Devices is the number of data-parallel replicas; at least 1.
	// Default 1. Above 1 it excludes Groups and Workers above 1.
	Devices int

	// Exchange is the algorithm that sums gradients across replicas (or
	// across the workers of different groups that hold the same
	// partition). Default auto: the planner picks by topology and size.
	Exchange ExchangeAlgorithm

	// Groups is the number of worker groups; at least 1. Default 1.
	Groups int

	// Workers is the number of workers in a group, which is the number of
	// partitions the network is cut into; at least 1. Default 1.
	Workers int

	// Split says how the network is cut into Workers partitions: none
	// with one worker, columns or explicit with more. Required when
	// Workers is above 1.
	Split Split
}

// ExchangeAlgorithm names how replicas sum their gradients.
type ExchangeAlgorithm string

// The exchange algorithms.
const (
	// ExchangeAuto lets the planner choose from the topology and the size
	// of the gradients.
	ExchangeAuto ExchangeAlgorithm = "auto"

	// ExchangeChain is Mariana's partitioned chain along the topology:
	// reduce-scatter, update on the owner, all-gather.
	ExchangeChain ExchangeAlgorithm = "chain"

	// ExchangeRing is reduce-scatter and all-gather around a ring.
	ExchangeRing ExchangeAlgorithm = "ring"

	// ExchangeTree reduces along a binary tree and broadcasts back.
	ExchangeTree ExchangeAlgorithm = "tree"

	// ExchangeCentral has one member sum everything and send it back.
	ExchangeCentral ExchangeAlgorithm = "central"
)

// Split names how the model-parallel framework cuts a network into
// partitions.
type Split string

// The splits.
const (
	// SplitNone keeps the network whole: one worker per group.
	SplitNone Split = "none"

	// SplitColumns cuts every conv and fc layer by output channels into
	// Workers columns that compute at the same time, as in the two-column
	// network of Krizhevsky et al. (2012); the layers between them follow
	// their input's columns. A layer with a partition key stays whole on
	// that partition.
	SplitColumns Split = "columns"

	// SplitExplicit puts each layer whole on the partition its partition
	// key names; a layer without one goes where the layer listed above it
	// goes (the first layer: partition 0).
	SplitExplicit Split = "explicit"
)

// maxParallel bounds devices, groups and workers: far above any machine,
// low enough that a slip of the keyboard does not plan a million devices.
const maxParallel = 1024

var (
	parallelKeys  = []string{"devices", "exchange", "groups", "workers", "split"}
	parallelRange = intRange{1, maxParallel, "an integer from 1 to 1024"}
	exchangeWords = []string{string(ExchangeAuto), string(ExchangeChain),
		string(ExchangeRing), string(ExchangeTree), string(ExchangeCentral)}
	splitWords = []string{string(SplitNone), string(SplitColumns), string(SplitExplicit)}
)

// defaultParallel is the placement of a spec without a parallel section.
func defaultParallel() Parallel {
	return Parallel{Devices: 1, Exchange: ExchangeAuto, Groups: 1, Workers: 1,
		Split: SplitNone}
}

// Replicas returns the number of data-parallel replicas the job runs:
// Devices for the data-parallel framework, Groups for the model-parallel
// one; each takes Train.Batch/Replicas samples of every mini-batch.
func (p *Parallel) Replicas() int {
	return max(p.Devices, p.Groups)
}

// parallel decodes the parallel section into out, which holds the
// defaults. It runs before the model, whose layers' partition keys it
// checks.
func (d *decoder) parallel(key, n *yaml.Node, out *Parallel) {
	o := d.object("parallel", key, n, "a mapping with devices and exchange, or groups, "+
		"workers and split")
	o.known(parallelKeys, nil)
	out.Devices = int(o.integer("devices", 1, parallelRange))
	out.Exchange = ExchangeAlgorithm(o.enum("exchange", string(ExchangeAuto), exchangeWords))
	out.Groups = int(o.integer("groups", 1, parallelRange))
	out.Workers = int(o.integer("workers", 1, parallelRange))

	if out.Devices > 1 && (out.Groups > 1 || out.Workers > 1) {
		field, v := "groups", out.Groups
		if out.Groups == 1 {
			field, v = "workers", out.Workers
		}
		d.report(o.val[field], o.sub(field), ErrConflict, "devices %d asks for the "+
			"data-parallel framework and %s %d for the model-parallel one; give devices, "+
			"or groups and workers (groups: %d, workers: 1 is data parallelism too)",
			out.Devices, field, v, out.Devices)
	}

	out.Split = SplitNone
	// The cross-checks below stay quiet after any other problem in the
	// section, such as a misspelt workers key, which they would only echo.
	if !o.has("split") {
		if out.Workers > 1 && !d.touched("parallel") {
			o.missing("split", "required with workers %d: columns (cut conv and fc "+
				"layers by channels) or explicit (each layer's partition key)", out.Workers)
		}
		return
	}
	out.Split = Split(o.enum("split", string(SplitNone), splitWords))
	switch {
	case d.touched("parallel"):
	case out.Workers == 1 && out.Split != SplitNone:
		d.report(o.val["split"], o.sub("split"), ErrConflict, "split %s cuts the network "+
			"among a group's workers, but workers is 1; set workers, or split none",
			out.Split)
	case out.Workers > 1 && out.Split == SplitNone:
		d.report(o.val["split"], o.sub("split"), ErrValue, "workers %d need a split: "+
			"columns or explicit", out.Workers)
	}
}

// partitionKey decodes a layer's partition key, checking it against the
// parallel section.
func (d *decoder) partitionKey(o *object, l *LayerSpec, p *Parallel) {
	n := o.val["partition"]
	if n == nil {
		return
	}
	v, ok := d.integer(n, o.sub("partition"), naturalInt)
	if !ok {
		return
	}
	l.Partition, l.HasPartition = int(v), true
	if d.touched("parallel") {
		return // the section's own problems come first
	}
	switch {
	case p.Split == SplitNone:
		d.report(n, o.sub("partition"), ErrConflict, "a partition key needs "+
			"parallel.split explicit or columns")
		l.HasPartition = false
	case l.Partition >= p.Workers:
		d.report(n, o.sub("partition"), ErrValue, "want a partition below workers %d, "+
			"got %d", p.Workers, l.Partition)
		l.HasPartition = false
	}
}

// partitions fills in the partition of every layer of an explicit split
// that has none: the partition of the layer listed above it, or 0 for the
// first. It reports a partition no layer is in: its worker would idle.
func (d *decoder) partitions(s *Spec) {
	p := &s.Parallel
	if p.Split != SplitExplicit || d.touched("parallel") || d.touched("model.layers") {
		return
	}
	used := make([]bool, p.Workers)
	prev := 0
	for i := range s.Model.Layers {
		l := &s.Model.Layers[i]
		if !l.HasPartition {
			l.Partition, l.HasPartition = prev, true
		}
		prev = l.Partition
		used[l.Partition] = true
	}
	for k, u := range used {
		if !u {
			d.reportAt("parallel.workers", ErrValue, "%d workers, but no layer is in "+
				"partition %d; give a layer partition: %d, or fewer workers", p.Workers, k, k)
			return
		}
	}
}

// replicaBatch checks that every replica gets an equal share of the
// mini-batch.
func (d *decoder) replicaBatch(s *Spec) {
	p := &s.Parallel
	field := "parallel.devices"
	if p.Groups > 1 {
		field = "parallel.groups"
	}
	r := p.Replicas()
	if r == 1 || s.Train.Batch == 0 || d.touched(field) || d.touched("train.batch") {
		return
	}
	if s.Train.Batch%r != 0 {
		d.reportAt(field, ErrValue, "train.batch %d does not split into %d equal shares, "+
			"one per replica", s.Train.Batch, r)
	}
}

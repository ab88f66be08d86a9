package partition

import (
	"fmt"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/spec"
	"github.com/mariana-dl/mariana/tensor"
)

// The sources of a node input that are not nodes: every worker reads its
// group's share of the mini-batch itself, so the data and the labels never
// travel through a Transfer Layer.
const (
	dataRef  = -1
	labelRef = -2
)

// kind is the role of a node of a partitioned network.
type kind int

const (
	// kindLayer computes a spec layer, whole or one column of it.
	kindLayer kind = iota

	// kindTransfer is a Transfer Layer: it copies a channel range of a
	// node of another partition into its own partition.
	kindTransfer

	// kindConcat joins channel ranges that arrive in pieces (a local
	// column and transfers) into the tensor a layer reads.
	kindConcat

	// kindCrop takes a channel range of a local tensor.
	kindCrop
)

var kindNames = [...]string{"layer", "transfer", "concat", "crop"}

func (k kind) String() string { return kindNames[k] }

// node is one layer of a partitioned network, as the plan describes it:
// enough to build a fresh instance for every worker group.
type node struct {
	name string
	part int
	kind kind

	// origin is the index in the whole graph of the spec layer the node
	// computes (whole, or a column of it); -1 for the plumbing.
	origin int

	// inputs are node indices, dataRef or labelRef; a transfer has none
	// (its source is src).
	inputs []int

	// shape is the per-sample output shape.
	shape tensor.Shape

	// build returns a fresh, not yet set up instance; nil for transfers.
	build func() (layer.Layer, error)

	// rows is the range of the whole layer's parameters the node holds:
	// the rows (filters of a conv, outputs of an fc) [rows[0], rows[1])
	// of the weight and the bias.
	rows [2]int

	// seedOf names the spec layer whose seed Init takes (a dropout
	// column draws the whole layer's masks); "" for none.
	seedOf string

	// A transfer copies channels [lo, hi) of node src's output.
	src, lo, hi int

	// needGrad: the node or something upstream of it has parameters, so
	// its backward pass runs.
	needGrad bool

	// Figures for the plan, from an instance set up at planning time.
	flops, paramBytes int64
}

// channels returns the first axis of a per-sample shape: the channels of
// C×H×W, the length of a vector.
func channels(s tensor.Shape) int { return s[0] }

// withChannels returns s with its first axis set to c.
func withChannels(s tensor.Shape, c int) tensor.Shape {
	out := s.Clone()
	out[0] = c
	return out
}

// piece is a channel range of a whole-graph tensor as a partitioned network
// holds it: node's output on partition part is channels [lo, hi).
type piece struct {
	part, node int
	lo, hi     int
}

// builder cuts a whole graph into the nodes of a partitioned network.
type builder struct {
	s     *spec.Spec
	g     *model.Graph
	cfg   Config
	parts []int // per spec layer: its partition, or -1 to cut into columns

	nodes []node

	// layout[i] lists where whole-graph node i's output lives, in channel
	// order, covering all its channels.
	layout [][]piece

	// specOf[i] is the spec layer of whole-graph node i.
	specOf []int

	// made caches materialize's results by whole-graph source, and plumb
	// the crops and transfers by node, so that no range travels twice.
	made, plumb map[[4]int]int

	// perReader gives every reader of a node on another partition a
	// Transfer Layer of its own, so that the node's output gradient sums
	// its readers' one by one, in the order of the whole network, as
	// model.Net does: whole layers then compute bit for bit what the
	// whole network computes. See [Plan].
	perReader bool
}

func newBuilder(s *spec.Spec, g *model.Graph, cfg Config, parts []int) (*builder, error) {
	b := &builder{s: s, g: g, cfg: cfg, parts: parts, made: map[[4]int]int{},
		plumb:  map[[4]int]int{},
		layout: make([][]piece, len(g.Nodes())), specOf: make([]int, len(g.Nodes()))}
	for i, n := range g.Nodes() {
		b.specOf[i] = -1
		for j, l := range s.Model.Layers {
			if l.Name == n.Layer.Name() {
				b.specOf[i] = j
			}
		}
		if b.specOf[i] < 0 {
			return nil, fmt.Errorf("%w: graph layer %s is not in spec %s", ErrConfig,
				n.Layer.Name(), s.Name)
		}
	}
	return b, nil
}

// spec returns the spec entry of whole-graph node i.
func (b *builder) spec(i int) spec.LayerSpec { return b.s.Model.Layers[b.specOf[i]] }

// errorf returns an ErrSplit error about whole-graph node i, positioned at
// its spec line.
func (b *builder) errorf(i int, format string, args ...any) error {
	err := &splitError{msg: "partition: " + b.spec(i).Name + ": " + fmt.Sprintf(format, args...)}
	return b.s.LayerError(b.specOf[i], err)
}

// source returns the whole-graph index of a node input name, or dataRef or
// labelRef.
func (b *builder) source(name string) int {
	switch name {
	case model.DataInput:
		return dataRef
	case model.LabelInput:
		return labelRef
	}
	i, _ := b.g.Lookup(name)
	return i
}

// shapeOf returns the per-sample shape of a whole-graph source.
func (b *builder) shapeOf(src int) tensor.Shape {
	switch src {
	case dataRef:
		return b.g.Input
	case labelRef:
		return tensor.Shape{1}
	}
	return b.g.Shape(src)
}

// inShape returns the per-sample shape of a node input.
func (b *builder) inShape(ref int) tensor.Shape {
	switch ref {
	case dataRef:
		return b.g.Input
	case labelRef:
		return tensor.Shape{1}
	}
	return b.nodes[ref].shape
}

// add appends n after setting an instance up, which checks it and gives
// its output shape and figures; origin is the whole-graph node errors are
// about.
func (b *builder) add(n node, origin int) (int, error) {
	l, err := n.build()
	if err != nil {
		return 0, b.errorf(origin, "%v", err)
	}
	in := make([]tensor.Shape, len(n.inputs))
	for j, r := range n.inputs {
		in[j] = b.inShape(r)
	}
	n.shape, err = l.Setup(in)
	if err != nil {
		return 0, b.errorf(origin, "part %s: %v", n.name, err)
	}
	if f, ok := l.(layer.FLOPer); ok {
		n.flops = f.ForwardFLOPs()
	}
	for _, p := range l.Params() {
		n.paramBytes += p.Value.Bytes()
		n.needGrad = true
	}
	for _, r := range n.inputs {
		n.needGrad = n.needGrad || (r >= 0 && b.nodes[r].needGrad)
	}
	b.nodes = append(b.nodes, n)
	return len(b.nodes) - 1, nil
}

// layerNode appends a node computing (part of) whole-graph node i from the
// spec entry ls, renamed.
func (b *builder) layerNode(i, part int, name string, ls spec.LayerSpec, inputs []int,
	rows [2]int) (int, error) {
	ls.Name = name
	return b.add(node{name: name, part: part, kind: kindLayer, origin: i, inputs: inputs,
		build: func() (layer.Layer, error) { return model.NewLayer(ls) }, rows: rows,
		seedOf: b.spec(i).Name}, i)
}

// materialize returns a node of partition part whose output is channels
// [lo, hi) of whole-graph source src (or dataRef / labelRef when that is
// the whole of it), adding the transfers, crops and concat it takes. origin
// is the whole-graph node that reads it, for errors.
func (b *builder) materialize(src, lo, hi, part, origin int) (int, error) {
	if src == labelRef {
		return labelRef, nil
	}
	key := [4]int{src, lo, hi, part}
	if n, ok := b.made[key]; ok && !b.perReader {
		return n, nil
	}

	if src == dataRef {
		if lo == 0 && hi == channels(b.g.Input) {
			return dataRef, nil
		}
		c, err := b.crop(dataRef, lo, hi, part, origin)
		if err == nil {
			b.made[key] = c
		}
		return c, err
	}

	var items []int
	for _, p := range b.layout[src] {
		if p.hi <= lo || p.lo >= hi {
			continue
		}
		a, z := max(lo, p.lo), min(hi, p.hi)
		var item int
		var err error
		switch {
		case p.part == part && a == p.lo && z == p.hi:
			item = p.node
		case p.part == part:
			item, err = b.crop(p.node, a-p.lo, z-p.lo, part, origin)
		default:
			item, err = b.transfer(p.node, a-p.lo, z-p.lo, part, origin)
		}
		if err != nil {
			return 0, err
		}
		items = append(items, item)
	}

	n := items[0]
	if len(items) > 1 {
		name := fmt.Sprintf("%s@%d", b.srcName(src), part)
		if lo != 0 || hi != channels(b.shapeOf(src)) {
			name = fmt.Sprintf("%s[%d:%d]@%d", b.srcName(src), lo, hi, part)
		}
		var err error
		n, err = b.add(node{name: name, part: part, kind: kindConcat, origin: -1,
			inputs: items, build: func() (layer.Layer, error) {
				return layer.NewConcat(name), nil
			}}, origin)
		if err != nil {
			return 0, err
		}
	}
	b.made[key] = n
	return n, nil
}

// srcName names a whole-graph source in plumbing names.
func (b *builder) srcName(src int) string {
	if src == dataRef {
		return model.DataInput
	}
	return b.g.Nodes()[src].Layer.Name()
}

// crop appends a node of partition part taking channels [lo, hi) of node
// (or dataRef) in, which lives there.
func (b *builder) crop(in, lo, hi, part, origin int) (int, error) {
	key := [4]int{in, lo, hi, -1 - part}
	if n, ok := b.plumb[key]; ok {
		return n, nil
	}
	name := fmt.Sprintf("%s[%d:%d]", b.refName(in), lo, hi)
	if in == dataRef {
		name = fmt.Sprintf("%s[%d:%d]@%d", b.refName(in), lo, hi, part)
	}
	n, err := b.add(node{name: name, part: part, kind: kindCrop, origin: -1,
		inputs: []int{in},
		build:  func() (layer.Layer, error) { return NewCrop(name, lo, hi), nil }}, origin)
	if err == nil {
		b.plumb[key] = n
	}
	return n, err
}

// transfer appends a Transfer Layer bringing channels [lo, hi) of node src
// into partition part.
func (b *builder) transfer(src, lo, hi, part, origin int) (int, error) {
	key := [4]int{src, lo, hi, part}
	if n, ok := b.plumb[key]; ok && !b.perReader {
		return n, nil
	}
	from := &b.nodes[src]
	name := fmt.Sprintf("%s>%d", from.name, part)
	if lo != 0 || hi != channels(from.shape) {
		name = fmt.Sprintf("%s[%d:%d]>%d", from.name, lo, hi, part)
	}
	n := node{name: name, part: part, kind: kindTransfer, origin: -1, src: src, lo: lo, hi: hi,
		shape: withChannels(from.shape, hi-lo), needGrad: from.needGrad}
	if lo < 0 || hi > channels(from.shape) || lo >= hi {
		return 0, b.errorf(origin, "transfer of channels [%d, %d) of %s, which has %d",
			lo, hi, from.name, channels(from.shape))
	}
	b.nodes = append(b.nodes, n)
	b.plumb[key] = len(b.nodes) - 1
	return len(b.nodes) - 1, nil
}

// refName names a node input in plumbing names.
func (b *builder) refName(ref int) string {
	switch ref {
	case dataRef:
		return model.DataInput
	case labelRef:
		return model.LabelInput
	}
	return b.nodes[ref].name
}

// whole places whole-graph node i, uncut, on partition part: its inputs are
// brought there whole.
func (b *builder) whole(i, part int) error {
	n := b.g.Nodes()[i]
	inputs := make([]int, len(n.Inputs))
	for j, name := range n.Inputs {
		src := b.source(name)
		var err error
		if inputs[j], err = b.materialize(src, 0, channels(b.shapeOf(src)), part, i); err != nil {
			return err
		}
	}
	rows := [2]int{0, rowsOf(n.Layer)}
	id, err := b.layerNode(i, part, n.Layer.Name(), b.spec(i), inputs, rows)
	if err != nil {
		return err
	}
	b.layout[i] = []piece{{part: part, node: id, lo: 0, hi: channels(b.g.Shape(i))}}
	return nil
}

// rowsOf returns the rows of a layer's first parameter (filters of a conv,
// outputs of an fc), or 0 for a layer without parameters.
func rowsOf(l layer.Layer) int {
	ps := l.Params()
	if len(ps) == 0 {
		return 0
	}
	return ps[0].Value.Shape[0]
}

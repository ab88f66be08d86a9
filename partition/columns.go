package partition

import (
	"fmt"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/spec"
)

// cut places every layer of the whole graph, in its topological order: a
// layer with a partition goes there whole; the others are cut into columns.
//
// Note [Columns]. The columns split of Krizhevsky et al. (2012, section 3.2)
// cuts a conv or fc layer by output channels: column k of W computes filters
// (outputs) [k·F/W, (k+1)·F/W), with rows [k·F/W, (k+1)·F/W) of the whole
// layer's weight and bias, on partition k. What it reads:
//
//   - a conv whose groups G are a multiple of W reads only the input
//     channels of its own groups, [k·C/W, (k+1)·C/W), which are column k
//     of a column-cut input: no transfer. This is where the 2012 network
//     keeps its columns apart (conv2, conv4, conv5 with groups 2);
//   - a conv whose groups divide W reads the channels of its group, and
//     one with groups 1 (conv3 of the 2012 network) or an fc (fc6-fc8)
//     reads the whole input: the parts held by other columns arrive
//     through Transfer Layers and a concat joins them. These are the
//     cross points where the columns meet.
//
// Layers that work channel by channel (pool, relu, sigmoid, tanh) run on each
// piece of their input where it lies; dropout too, each piece drawing the
// whole layer's masks for its elements (layer.DropoutSlice). LRN across
// channels needs the (size-1)/2 channels on either side of a piece: each
// piece reads that halo from the neighbouring pieces through Transfer Layers
// and normalises its own channels with the whole layer's windows
// (layer.LRNPart). Its output is then exactly the whole layer's; in the
// backward pass the gradient of the halo goes back to the neighbour that owns
// those channels and is added to theirs. A concat of pieces computes nothing:
// its output is its inputs' pieces, one after the other. The loss, and any
// layer that reads the data or labels directly but does not cut (a pool on
// the data), stay whole on partition 0.
//
// Forward, every column computes what the whole layer computes for its
// channels, with the same operands. Backward, the input gradient of a cross
// point is a sum over all columns (each column's filters contribute to every
// input channel) that the partitioned network forms column by column and
// adds, so it differs from the whole layer's in the order of float32
// additions, as the halo gradients of LRN do.
func (b *builder) cut() error {
	for i := range b.g.Nodes() {
		if p := b.parts[b.specOf[i]]; p >= 0 {
			if err := b.whole(i, p); err != nil {
				return err
			}
			continue
		}

		var err error
		switch ls := b.spec(i); ls.Type {
		case spec.TypeConv:
			err = b.convColumns(i, ls)
		case spec.TypeFC:
			err = b.fcColumns(i, ls)
		case spec.TypePool, spec.TypeReLU, spec.TypeSigmoid, spec.TypeTanh, spec.TypeDropout:
			err = b.perPiece(i, ls)
		case spec.TypeLRN:
			err = b.lrnPieces(i, ls)
		case spec.TypeConcat:
			err = b.joinPieces(i)
		default:
			err = b.whole(i, 0)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// columnName names column k of a layer.
func columnName(name string, k int) string { return fmt.Sprintf("%s[%d]", name, k) }

// convColumns cuts conv node i into columns; see Note [Columns].
//
// TODO: a column that reads the whole input (conv1 on the data, conv3 of
// the 2012 network) builds the whole input's column matrix (im2col), in
// the forward pass and again in the backward pass, so every column repeats
// that memory-bound work (only in the forward pass where the weight
// gradient reads the padded input in place). Cutting such a layer by input
// channels instead (each column convolving its own channels with every
// filter, the partial outputs summed across columns) would remove it, at
// the price of a forward pass that is no longer bit for bit the whole
// layer's.
func (b *builder) convColumns(i int, ls spec.LayerSpec) error {
	w := b.cfg.Workers
	cfg := ls.Config.(layer.Conv2DConfig)
	src := b.source(b.g.Nodes()[i].Inputs[0])
	c := channels(b.shapeOf(src))
	f, groups := cfg.Filters, max(cfg.Groups, 1)
	if f%w != 0 {
		return b.errorf(i, "%d columns do not divide filters %d; give the layer a "+
			"partition key to keep it whole", w, f)
	}
	if groups%w != 0 && w%groups != 0 {
		return b.errorf(i, "groups %d and %d columns: one must divide the other", groups, w)
	}

	var pieces []piece
	for k := 0; k < w; k++ {
		part := cfg
		part.Filters = f / w
		lo, hi := 0, c
		switch {
		case groups%w == 0:
			part.Groups = groups / w
			lo, hi = k*c/w, (k+1)*c/w
		default:
			// Each group spans w/groups columns; column k is in group
			// k/(w/groups), whose input channels it reads.
			g := k / (w / groups)
			part.Groups = 1
			lo, hi = g*c/groups, (g+1)*c/groups
		}
		in, err := b.materialize(src, lo, hi, k, i)
		if err != nil {
			return err
		}
		piece, err := b.column(i, k, ls, part, in)
		if err != nil {
			return err
		}
		pieces = append(pieces, piece)
	}
	b.layout[i] = pieces
	return nil
}

// fcColumns cuts fc node i into columns, each reading the whole input.
func (b *builder) fcColumns(i int, ls spec.LayerSpec) error {
	w := b.cfg.Workers
	cfg := ls.Config.(layer.FullyConnectedConfig)
	src := b.source(b.g.Nodes()[i].Inputs[0])
	if cfg.Outputs%w != 0 {
		return b.errorf(i, "%d columns do not divide outputs %d; give the layer a "+
			"partition key to keep it whole", w, cfg.Outputs)
	}

	var pieces []piece
	for k := 0; k < w; k++ {
		part := cfg
		part.Outputs = cfg.Outputs / w
		in, err := b.materialize(src, 0, channels(b.shapeOf(src)), k, i)
		if err != nil {
			return err
		}
		piece, err := b.column(i, k, ls, part, in)
		if err != nil {
			return err
		}
		pieces = append(pieces, piece)
	}
	b.layout[i] = pieces
	return nil
}

// column appends column k of node i, configured by cfg and reading in.
func (b *builder) column(i, k int, ls spec.LayerSpec, cfg any, in int) (piece, error) {
	rows := rowsOf(b.g.Nodes()[i].Layer)
	w := b.cfg.Workers
	ls.Config = cfg
	lo, hi := k*rows/w, (k+1)*rows/w
	id, err := b.layerNode(i, k, columnName(ls.Name, k), ls, []int{in}, [2]int{lo, hi})
	if err != nil {
		return piece{}, err
	}
	return piece{part: k, node: id, lo: lo, hi: hi}, nil
}

// perPiece runs a channel-wise layer on each piece of its input, where the
// piece lies.
func (b *builder) perPiece(i int, ls spec.LayerSpec) error {
	src := b.source(b.g.Nodes()[i].Inputs[0])
	if src < 0 {
		return b.whole(i, 0)
	}
	in := b.layout[src]
	if len(in) == 1 {
		return b.whole(i, in[0].part)
	}
	spatial := b.shapeOf(src).Size() / channels(b.shapeOf(src))

	var pieces []piece
	for j, p := range in {
		name := columnName(ls.Name, j)
		var id int
		var err error
		if ls.Type == spec.TypeDropout {
			offset := p.lo * spatial
			cfg := ls.Config.(layer.DropoutConfig)
			id, err = b.add(node{name: name, part: p.part, kind: kindLayer, origin: i,
				inputs: []int{p.node}, seedOf: ls.Name,
				build: func() (layer.Layer, error) {
					return layer.NewDropoutSlice(name, cfg, offset), nil
				}}, i)
		} else {
			id, err = b.layerNode(i, p.part, name, ls, []int{p.node}, [2]int{})
		}
		if err != nil {
			return err
		}
		pieces = append(pieces, piece{part: p.part, node: id, lo: p.lo, hi: p.hi})
	}
	b.layout[i] = pieces
	return nil
}

// lrnPieces runs LRN on each piece of its input, reading the halo of
// channels its windows reach into from the neighbouring pieces
// (layer.LRNPart); see Note [Columns].
func (b *builder) lrnPieces(i int, ls spec.LayerSpec) error {
	src := b.source(b.g.Nodes()[i].Inputs[0])
	if src < 0 {
		return b.whole(i, 0)
	}
	in := b.layout[src]
	if len(in) == 1 {
		return b.whole(i, in[0].part)
	}
	cfg := ls.Config.(layer.LRNConfig)
	half := (cfg.Size - 1) / 2
	c := channels(b.shapeOf(src))

	var pieces []piece
	for j, p := range in {
		var inputs []int
		main := 0
		for _, r := range [][2]int{{max(0, p.lo-half), p.lo}, {p.lo, p.hi},
			{p.hi, min(c, p.hi+half)}} {
			if r[0] == r[1] {
				continue
			}
			if r[0] == p.lo {
				main = len(inputs)
			}
			n, err := b.materialize(src, r[0], r[1], p.part, i)
			if err != nil {
				return err
			}
			inputs = append(inputs, n)
		}
		name := columnName(ls.Name, j)
		id, err := b.add(node{name: name, part: p.part, kind: kindLayer, origin: i,
			inputs: inputs, build: func() (layer.Layer, error) {
				return layer.NewLRNPart(name, cfg, main), nil
			}}, i)
		if err != nil {
			return err
		}
		pieces = append(pieces, piece{part: p.part, node: id, lo: p.lo, hi: p.hi})
	}
	b.layout[i] = pieces
	return nil
}

// joinPieces makes a concat's output the pieces of its inputs, one after
// the other: nothing is computed. A concat that reads the data stays whole
// on partition 0.
func (b *builder) joinPieces(i int) error {
	var pieces []piece
	offset := 0
	for _, name := range b.g.Nodes()[i].Inputs {
		src := b.source(name)
		if src < 0 {
			return b.whole(i, 0)
		}
		for _, p := range b.layout[src] {
			pieces = append(pieces, piece{part: p.part, node: p.node, lo: p.lo + offset,
				hi: p.hi + offset})
		}
		offset += channels(b.shapeOf(src))
	}
	b.layout[i] = pieces
	return nil
}

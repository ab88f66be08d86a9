package dataparallel

import (
	"fmt"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/tensor"
)

// Note [Owner update]
//
// The exchange cuts every segment into partitions and hands each
// partition's summed gradient to its owner, which updates it. A partition
// is a range of the flat buffers, so it may hold the end of one parameter
// and the start of the next. The owner's solver therefore updates pieces:
// one layer.Param per parameter the partition touches, named
// "fc1.weight[lo:hi]" after the elements it holds, with the parameter's
// multipliers, whose Value views the parameter buffer and whose Grad views
// the summed gradient in the gradient buffer. optim.Solver updates any set of parameters, each with
// its own history under its own name, element by element; so the pieces
// get exactly the update the whole parameter would get on one device, and
// their histories, put side by side, are the whole parameter's history.
// That is how a checkpoint stores them (under the whole parameter's name),
// so a run on n devices resumes on m.

// piece is the part of one parameter inside an owned partition.
type piece struct {
	param  int // index into the replica's parameters
	lo, hi int // the piece's values in the flat buffers
	start  int // offset of the parameter's first value in the flat buffers
	name   string
}

// owned is a partition of one segment that this member owns, with the
// solver's parameters that update it.
type owned struct {
	part   exchange.Range // relative to the segment
	lo, hi int            // absolute
	pieces []piece
	subs   []*layer.Param
	hist   []*tensor.Tensor // the solver's history of each piece, or nil
}

// ownParts finds the partitions of every segment that rank owns under the
// segments' collectives and makes their pieces.
func ownParts(lay *layout, colls []exchange.Collective, rank int, params []*layer.Param,
	value, grad []float32) [][]*owned {
	parts := make([][]*owned, len(lay.segments))
	for s, seg := range lay.segments {
		var ranges []exchange.Range
		if seg.factor {
			ranges = rowPartitions(seg, colls[s].Size())
		} else {
			ranges = colls[s].Partitions(seg.hi - seg.lo)
		}
		for _, r := range ranges {
			if r.Owner != rank || r.Len() == 0 {
				continue
			}
			o := &owned{part: r, lo: seg.lo + r.Lo, hi: seg.lo + r.Hi}
			for i, p := range params {
				start := lay.offset[i]
				lo, hi := max(o.lo, start), min(o.hi, start+len(p.Value.Data))
				if lo >= hi {
					continue
				}
				o.pieces = append(o.pieces, piece{param: i, lo: lo, hi: hi, start: start,
					name: fmt.Sprintf("%s[%d:%d]", p.Name, lo-start, hi-start)})
			}
			for _, pc := range o.pieces {
				p := params[pc.param]
				n := pc.hi - pc.lo
				o.subs = append(o.subs, &layer.Param{
					Name:      pc.name,
					Value:     &tensor.Tensor{Shape: tensor.Shape{n}, Data: value[pc.lo:pc.hi:pc.hi]},
					Grad:      &tensor.Tensor{Shape: tensor.Shape{n}, Data: grad[pc.lo:pc.hi:pc.hi]},
					LRMult:    p.LRMult,
					DecayMult: p.DecayMult,
				})
			}
			parts[s] = append(parts[s], o)
		}
	}
	return parts
}

// stateKind returns the kind of history the solver configured by cfg
// keeps (optim.MomentumState or optim.AdaGradState), or "" when it keeps
// none. It asks a throwaway solver, so the rule stays optim's.
func stateKind(cfg optim.Config) (string, error) {
	s, err := optim.New(cfg)
	if err != nil {
		return "", err
	}
	probe := layer.NewParam("probe", 0, 1)
	if err := s.Prepare([]*layer.Param{probe}); err != nil {
		return "", err
	}
	names, _ := s.State()
	if len(names) == 0 {
		return "", nil
	}
	kind, _, err := optim.ParseStateName(names[0])
	return kind, err
}

// linkHistory points every owned partition at the solver's history of its
// pieces. Call it after Prepare and after LoadState.
func linkHistory(parts [][]*owned, solver *optim.Solver, kind string) error {
	if kind == "" {
		return nil
	}
	_, state := solver.State()
	for _, seg := range parts {
		for _, o := range seg {
			o.hist = o.hist[:0]
			for _, pc := range o.pieces {
				h, ok := state[optim.StateName(kind, pc.name)]
				if !ok {
					return fmt.Errorf("%w: the solver holds no history of %s", ErrState, pc.name)
				}
				o.hist = append(o.hist, h)
			}
		}
	}
	return nil
}

// copyHistory writes the owned partition's history into buf, a flat buffer
// laid out like the parameters.
func (o *owned) copyHistory(buf []float32) {
	for i, pc := range o.pieces {
		copy(buf[pc.lo:pc.hi], o.hist[i].Data)
	}
}

// fullState returns the whole history held in buf, a flat buffer laid out
// like params, as tensors named for a checkpoint. The tensors view buf.
func fullState(kind string, lay *layout, params []*layer.Param,
	buf []float32) ([]string, map[string]*tensor.Tensor) {
	names := make([]string, 0, len(params))
	tensors := make(map[string]*tensor.Tensor, len(params))
	for i, p := range params {
		off := lay.offset[i]
		name := optim.StateName(kind, p.Name)
		names = append(names, name)
		tensors[name] = &tensor.Tensor{Shape: p.Value.Shape.Clone(),
			Data: buf[off : off+len(p.Value.Data)]}
	}
	return names, tensors
}

// pieceState cuts a checkpoint's whole history into the entries of the
// pieces this member owns, for its solver's LoadState, after checking that
// the history names exactly the network's parameters, with their shapes.
// With buf non-nil it also copies the whole history into buf.
func pieceState(kind string, lay *layout, params []*layer.Param, parts [][]*owned,
	state map[string]*tensor.Tensor, buf []float32) (map[string]*tensor.Tensor, error) {
	want := make(map[string]int, len(params))
	for i, p := range params {
		want[optim.StateName(kind, p.Name)] = i
	}
	for name := range state {
		if _, ok := want[name]; !ok {
			if kind == "" {
				return nil, fmt.Errorf("%w: %s: the solver keeps no history", ErrState, name)
			}
			return nil, fmt.Errorf("%w: %s: not the %s of a parameter of this network",
				ErrState, name, kind)
		}
	}
	for name, i := range want {
		t, ok := state[name]
		p := params[i]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: no %s for param %s", ErrState, name, p.Name)
		case !t.Shape.Equal(p.Value.Shape) || len(t.Data) != len(p.Value.Data):
			return nil, fmt.Errorf("%w: %s has shape %v, param %s has %v",
				ErrState, name, t.Shape, p.Name, p.Value.Shape)
		}
		if buf != nil {
			off := lay.offset[i]
			copy(buf[off:off+len(t.Data)], t.Data)
		}
	}

	pieces := make(map[string]*tensor.Tensor)
	for _, seg := range parts {
		for _, o := range seg {
			for _, pc := range o.pieces {
				full := state[optim.StateName(kind, params[pc.param].Name)]
				pieces[optim.StateName(kind, pc.name)] = &tensor.Tensor{
					Shape: tensor.Shape{pc.hi - pc.lo},
					Data:  full.Data[pc.lo-pc.start : pc.hi-pc.start],
				}
			}
		}
	}
	return pieces, nil
}

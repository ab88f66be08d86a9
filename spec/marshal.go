package spec

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/optim"
	"gopkg.in/yaml.v3"
)

// Marshal writes s as a spec file that [Parse] reads back to the same Spec
// (positions and File aside). Every field is written out, defaults
// included, so the text keeps its meaning if a later version changes a
// default: checkpoints store it for that reason.
//
// Marshal checks its output by parsing it, so it refuses a Spec that Parse
// would refuse, such as one built in code with a layer Config of the wrong
// type.
func Marshal(s *Spec) ([]byte, error) {
	w := writer{}
	root := block()
	w.add(root, "version", w.int(FormatVersion))
	w.add(root, "name", w.str(s.Name))
	w.add(root, "seed", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int",
		Value: strconv.FormatUint(s.Seed, 10)})
	w.add(root, "data", w.data(&s.Data))
	w.add(root, "model", w.model(&s.Model))
	w.add(root, "solver", w.solver(&s.Solver))
	w.add(root, "train", w.train(&s.Train))
	w.add(root, "parallel", w.parallel(&s.Parallel))
	if w.err != nil {
		return nil, fmt.Errorf("spec: marshal %s: %w", s.Name, w.err)
	}

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("spec: marshal %s: %w", s.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("spec: marshal %s: %w", s.Name, err)
	}
	if _, err := Parse("marshal of "+s.Name, buf.Bytes()); err != nil {
		return nil, fmt.Errorf("spec: marshal %s: the spec is invalid:\n%w", s.Name, err)
	}
	return buf.Bytes(), nil
}

// writer builds the node tree of a spec, remembering the first problem.
type writer struct {
	err error
}

func block() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

func flow() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle} }

func (w *writer) add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
		v)
}

func (w *writer) str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func (w *writer) int(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
}

func (w *writer) bool(v bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
}

// num writes the shortest decimal that parses back to the same float32.
// It leaves the tag to the encoder, so that 1 is written 1, not !!float 1:
// the parser takes an integer where it wants a number.
func (w *writer) num(v float32) *yaml.Node {
	s := strconv.FormatFloat(float64(v), 'g', -1, 32)
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
}

func (w *writer) ints(vs []int) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range vs {
		n.Content = append(n.Content, w.int(int64(v)))
	}
	return n
}

func (w *writer) nums(vs []float32) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range vs {
		n.Content = append(n.Content, w.num(v))
	}
	return n
}

func (w *writer) strs(vs []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range vs {
		n.Content = append(n.Content, w.str(v))
	}
	return n
}

func (w *writer) data(d *Data) *yaml.Node {
	m := block()
	w.add(m, "format", w.str(string(d.Format)))
	if d.Format == Random {
		r := flow()
		w.add(r, "train", w.int(int64(d.Random.Train)))
		w.add(r, "test", w.int(int64(d.Random.Test)))
		w.add(r, "shape", w.ints(d.Random.Shape))
		w.add(r, "classes", w.int(int64(d.Random.Classes)))
		w.add(m, "random", r)
	} else {
		w.add(m, "dir", w.str(d.Dir))
		n := flow()
		w.add(n, "scale", w.num(d.Normalize.Scale))
		w.add(n, "mean", w.nums(d.Normalize.Mean))
		w.add(n, "std", w.nums(d.Normalize.Std))
		w.add(m, "normalize", n)
		if a := d.Augment; a != (Augment{}) {
			n := flow()
			w.add(n, "crop", w.int(int64(a.Crop)))
			w.add(n, "pad", w.int(int64(a.Pad)))
			w.add(n, "mirror", w.bool(a.Mirror))
			w.add(m, "augment", n)
		}
		if p := d.Pipeline; p.Enabled {
			n := flow()
			w.add(n, "threads", w.int(int64(p.Threads)))
			w.add(n, "depth", w.int(int64(p.Depth)))
			w.add(m, "pipeline", n)
		}
	}
	w.add(m, "shuffle", w.bool(d.Shuffle))
	return m
}

func (w *writer) model(md *Model) *yaml.Node {
	m := block()
	w.add(m, "input", w.ints(md.Input))
	layers := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range md.Layers {
		layers.Content = append(layers.Content, w.layer(&md.Layers[i]))
	}
	w.add(m, "layers", layers)
	return m
}

// layer writes one layer in flow style when it fits on a line, which keeps
// a written network readable as a list.
func (w *writer) layer(l *LayerSpec) *yaml.Node {
	m := block()
	w.add(m, "name", w.str(l.Name))
	w.add(m, "type", w.str(string(l.Type)))
	w.add(m, "inputs", w.strs(l.Inputs))
	if l.HasPartition {
		w.add(m, "partition", w.int(int64(l.Partition)))
	}
	wrong := func(want any) {
		if w.err == nil {
			w.err = fmt.Errorf("layer %s: type %s wants a Config of type %T, got %T", l.Name,
				l.Type, want, l.Config)
		}
	}

	switch l.Type {
	case TypeFC:
		c, ok := l.Config.(layer.FullyConnectedConfig)
		if !ok {
			wrong(c)
			break
		}
		w.add(m, "outputs", w.int(int64(c.Outputs)))
		w.params(m, l, c.NoBias, c.WeightFill, c.BiasFill)
	case TypeConv:
		c, ok := l.Config.(layer.Conv2DConfig)
		if !ok {
			wrong(c)
			break
		}
		w.add(m, "filters", w.int(int64(c.Filters)))
		w.pair(m, "kernel", c.KernelH, c.KernelW)
		w.pair(m, "stride", c.StrideH, c.StrideW)
		w.pair(m, "pad", c.PadH, c.PadW)
		w.add(m, "groups", w.int(int64(c.Groups)))
		w.params(m, l, c.NoBias, c.WeightFill, c.BiasFill)
	case TypePool:
		c, ok := l.Config.(layer.PoolConfig)
		if !ok {
			wrong(c)
			break
		}
		w.add(m, "method", w.str(string(c.Method)))
		w.pair(m, "kernel", c.KernelH, c.KernelW)
		w.pair(m, "stride", c.StrideH, c.StrideW)
		w.pair(m, "pad", c.PadH, c.PadW)
	case TypeDropout:
		c, ok := l.Config.(layer.DropoutConfig)
		if !ok {
			wrong(c)
			break
		}
		w.add(m, "rate", w.num(c.Rate))
	case TypeLRN:
		c, ok := l.Config.(layer.LRNConfig)
		if !ok {
			wrong(c)
			break
		}
		w.add(m, "size", w.int(int64(c.Size)))
		w.add(m, "alpha", w.num(c.Alpha))
		w.add(m, "beta", w.num(c.Beta))
		w.add(m, "k", w.num(c.K))
	default:
		if l.Config != nil && w.err == nil {
			w.err = fmt.Errorf("layer %s: type %s takes no Config, got %T", l.Name, l.Type,
				l.Config)
		}
	}
	// Six columns of "  - " and the braces around it leave 90 for the
	// fields: the line stays within 100 columns.
	if flowLen(m) <= 90 {
		m.Style = yaml.FlowStyle
	}
	return m
}

// flowLen estimates the width of n written in flow style, allowing for
// quotes around every scalar.
func flowLen(n *yaml.Node) int {
	switch n.Kind {
	case yaml.ScalarNode:
		return len(n.Value) + 2
	}
	width := 2 // the brackets
	for i, c := range n.Content {
		if i > 0 {
			width += 2 // ", " or ": "
		}
		width += flowLen(c)
	}
	return width
}

// pair writes a window dimension as base when both directions agree.
func (w *writer) pair(m *yaml.Node, base string, h, v int) {
	if h == v {
		w.add(m, base, w.int(int64(h)))
		return
	}
	w.add(m, base+"_h", w.int(int64(h)))
	w.add(m, base+"_w", w.int(int64(v)))
}

func (w *writer) params(m *yaml.Node, l *LayerSpec, noBias bool, weight, bias layer.Fill) {
	w.add(m, "bias", w.bool(!noBias))
	w.add(m, "weight_fill", w.fill(weight))
	if !noBias {
		w.add(m, "bias_fill", w.fill(bias))
	}
	w.add(m, "lr_mult", w.num(l.LRMult))
	if !noBias {
		w.add(m, "bias_lr_mult", w.num(l.BiasLRMult))
	}
	w.add(m, "decay_mult", w.num(l.DecayMult))
	if !noBias {
		w.add(m, "bias_decay_mult", w.num(l.BiasDecayMult))
	}
}

func (w *writer) fill(f layer.Fill) *yaml.Node {
	m := flow()
	w.add(m, "type", w.str(string(f.Kind)))
	switch f.Kind {
	case layer.FillConstant:
		w.add(m, "value", w.num(f.Value))
	case layer.FillGaussian:
		w.add(m, "mean", w.num(f.Mean))
		w.add(m, "std", w.num(f.Std))
	case layer.FillUniform:
		w.add(m, "min", w.num(f.Min))
		w.add(m, "max", w.num(f.Max))
	}
	return m
}

func (w *writer) solver(c *optim.Config) *yaml.Node {
	m := block()
	w.add(m, "method", w.str(string(c.Method)))
	w.add(m, "lr", w.num(c.BaseLR))
	if c.Method != optim.AdaGrad {
		w.add(m, "momentum", w.num(c.Momentum))
	}
	w.add(m, "weight_decay", w.num(c.WeightDecay))
	if c.Method == optim.AdaGrad {
		w.add(m, "epsilon", w.num(c.Epsilon))
	}

	p := flow()
	w.add(p, "type", w.str(string(c.Policy)))
	keys := policyKeys[c.Policy]
	if len(keys) == 0 {
		// An unknown policy: written as is, for Parse to refuse.
		keys = []string{"type"}
	}
	for _, k := range keys[1:] {
		switch k {
		case "gamma":
			w.add(p, k, w.num(c.Gamma))
		case "power":
			w.add(p, k, w.num(c.Power))
		case "step_size":
			w.add(p, k, w.int(c.StepSize))
		case "steps":
			s := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, v := range c.Steps {
				s.Content = append(s.Content, w.int(v))
			}
			w.add(p, k, s)
		}
	}
	w.add(m, "lr_policy", p)
	return m
}

func (w *writer) train(t *Train) *yaml.Node {
	m := block()
	w.add(m, "batch", w.int(int64(t.Batch)))
	if t.Iterations != 0 {
		w.add(m, "iterations", w.int(t.Iterations))
	} else {
		w.add(m, "epochs", w.int(int64(t.Epochs)))
	}
	w.add(m, "test_batch", w.int(int64(t.TestBatch)))
	w.add(m, "eval_every_steps", w.int(t.EvalEverySteps))
	w.add(m, "display_every_steps", w.int(t.DisplayEverySteps))
	w.add(m, "checkpoint_every_steps", w.int(t.CheckpointEverySteps))
	w.add(m, "checkpoint_dir", w.str(t.CheckpointDir))
	w.add(m, "keep_checkpoints", w.int(int64(t.KeepCheckpoints)))
	w.add(m, "threads", w.int(int64(t.Threads)))
	return m
}

func (w *writer) parallel(p *Parallel) *yaml.Node {
	m := flow()
	w.add(m, "devices", w.int(int64(p.Devices)))
	w.add(m, "exchange", w.str(string(p.Exchange)))
	w.add(m, "groups", w.int(int64(p.Groups)))
	w.add(m, "workers", w.int(int64(p.Workers)))
	w.add(m, "split", w.str(string(p.Split)))
	return m
}

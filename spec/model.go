package spec

import (
	"strconv"

	"gopkg.in/yaml.v3"
)

var modelKeys = []string{"input", "layers"}

// model decodes the model section into out. sample is the shape the data
// delivers (nil when unknown); the model's input defaults to it, and for
// format random the two fill each other in.
func (d *decoder) model(key, n *yaml.Node, out *Model, data *Data, sample []int) {
	o := d.object("model", key, n, "a mapping with input and layers")
	o.known(modelKeys, nil)
	o.need("layers")
	if in := o.val["input"]; in != nil {
		out.Input, _ = d.shape(in, "model.input")
	}
	d.input(out, data, sample)

	ln := o.val["layers"]
	if ln == nil {
		return
	}
	items, ok := d.list(ln, "model.layers", "a list of layers")
	if !ok {
		return
	}
	if len(items) == 0 {
		d.report(ln, "model.layers", ErrValue, "want at least one layer, got an empty list")
		return
	}
	out.Layers = make([]LayerSpec, len(items))
	for i, item := range items {
		out.Layers[i] = d.layer(i, item)
	}
	d.graph(out.Layers)
}

// input settles the model's input shape against the data's sample shape.
func (d *decoder) input(m *Model, data *Data, sample []int) {
	if d.reported["model.input"] {
		return
	}
	switch {
	case data.Format == Random && sample == nil && m.Input == nil:
		if !d.reported["data.random"] && !d.reported["data.random.shape"] &&
			!d.reported["data.format"] {
			d.reportAt("data.random.shape", ErrMissing, "required when model.input is not "+
				"given: format random needs a sample shape")
		}
	case data.Format == Random && sample == nil:
		data.Random.Shape = m.Input.Clone()
	case m.Input == nil:
		m.Input = append(m.Input, sample...)
	case shapeSize(m.Input) != shapeSize(sample):
		d.reportAt("model.input", ErrValue, "%s holds %d values per sample, but the data "+
			"delivers %s, %d values", shapeOf(m.Input), shapeSize(m.Input), shapeOf(sample),
			shapeSize(sample))
	}
}

// graph checks the layers as a whole: unique names, inputs that name
// earlier layers, the number of inputs each type takes, a loss. It fills in
// default inputs.
func (d *decoder) graph(layers []LayerSpec) {
	names := make([]string, 0, len(layers))
	byName := map[string]int{}
	for i, l := range layers {
		if l.Name == "" {
			continue
		}
		if j, dup := byName[l.Name]; dup {
			d.reportAt(index("model.layers", i)+".name", ErrDuplicateName,
				"layer name %q is already taken by model.layers[%d] (line %d)", l.Name, j,
				layers[j].Line)
			continue
		}
		byName[l.Name] = i
		names = append(names, l.Name)
	}

	typesKnown, hasLoss := true, false
	for i := range layers {
		l := &layers[i]
		typesKnown = typesKnown && l.Type != ""
		hasLoss = hasLoss || l.Type == TypeSoftmaxLoss
		path := index("model.layers", i) + ".inputs"
		if l.Inputs == nil {
			d.defaultInputs(layers, i, path)
			continue
		}
		for j, ref := range l.Inputs {
			d.reference(l, i, j, ref, byName, names)
		}
		d.inputCount(l, path)
	}

	if typesKnown && !hasLoss {
		d.reportAt("model.layers", ErrMissing, "no softmax_loss layer; training needs a loss")
	}
}

// defaultInputs fills in the inputs of layer i when the spec gives none: the
// layer above (the data for the first), and the labels for a loss.
func (d *decoder) defaultInputs(layers []LayerSpec, i int, path string) {
	l := &layers[i]
	if d.reported[path] || l.Type == TypeConcat || l.Type == "" {
		return // reported already, or concat's missing inputs were
	}
	prev := InputData
	if i > 0 {
		prev = layers[i-1].Name
	}
	if prev == "" {
		return // the layer above has a problem of its own
	}
	l.Inputs = []string{prev}
	if l.Type == TypeSoftmaxLoss {
		l.Inputs = append(l.Inputs, InputLabel)
	}
}

// reference checks input j, ref, of layer i.
func (d *decoder) reference(l *LayerSpec, i, j int, ref string, byName map[string]int,
	names []string) {
	at := index(index("model.layers", i)+".inputs", j)
	switch ref {
	case InputData:
		return
	case InputLabel:
		if l.Type != TypeSoftmaxLoss || j != 1 {
			d.reportAt(at, ErrReference, "only a softmax_loss reads label, as its second "+
				"input")
		}
		return
	}
	k, found := byName[ref]
	switch {
	case !found:
		msg := "unknown layer " + quote(ref)
		if c := closest(ref, names); c != "" {
			msg += "; did you mean " + c + "?"
		}
		d.reportAt(at, ErrReference, "%s", msg)
	case k == i:
		d.reportAt(at, ErrReference, "a layer cannot read its own output")
	case k > i:
		d.reportAt(at, ErrReference, "layer %s comes later, at model.layers[%d]; a layer "+
			"reads only data, label or layers above it", quote(ref), k)
	}
}

// inputCount checks that layer l lists as many inputs as its type reads.
func (d *decoder) inputCount(l *LayerSpec, path string) {
	n := len(l.Inputs)
	switch l.Type {
	case "":
	case TypeSoftmaxLoss:
		if n != 2 {
			d.reportAt(path, ErrValue, "softmax_loss reads 2 inputs, [logits, label], got %d",
				n)
		} else if l.Inputs[1] != InputLabel && !d.reported[index(path, 1)] {
			d.reportAt(index(path, 1), ErrValue, "the second input of softmax_loss must "+
				"be label, got %s", quote(l.Inputs[1]))
		}
	case TypeConcat:
		if n < 2 {
			d.reportAt(path, ErrValue, "concat reads at least 2 inputs, got %d", n)
		}
	default:
		if n != 1 {
			d.reportAt(path, ErrValue, "%s reads 1 input, got %d", l.Type, n)
		}
	}
}

// shapeSize is the number of values in a sample of shape s.
func shapeSize(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

// shapeOf formats a shape as the spec writes it: [1, 28, 28].
func shapeOf(s []int) string {
	out := "["
	for i, v := range s {
		if i > 0 {
			out += ", "
		}
		out += itoa(v)
	}
	return out + "]"
}

// quote quotes a name for a message.
func quote(s string) string { return strconv.Quote(s) }

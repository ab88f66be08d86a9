package spec

import (
	"slices"

	"github.com/mariana-dl/mariana/layer"
	"gopkg.in/yaml.v3"
)

// The keys of each layer type, in the order Marshal writes them.
var (
	commonKeys = []string{"name", "type", "inputs", "partition"}
	windowKeys = []string{"kernel", "kernel_h", "kernel_w", "stride", "stride_h", "stride_w",
		"pad", "pad_h", "pad_w"}
	paramKeys = []string{"bias", "weight_fill", "bias_fill", "lr_mult", "bias_lr_mult",
		"decay_mult", "bias_decay_mult"}

	layerKeys = map[LayerType][]string{
		TypeFC: join(commonKeys, []string{"outputs"}, paramKeys),
		TypeConv: join(commonKeys, []string{"filters"}, windowKeys, []string{"groups"},
			paramKeys),
		TypePool:        join(commonKeys, []string{"method"}, windowKeys),
		TypeReLU:        commonKeys,
		TypeSigmoid:     commonKeys,
		TypeTanh:        commonKeys,
		TypeDropout:     join(commonKeys, []string{"rate"}),
		TypeLRN:         join(commonKeys, []string{"size", "alpha", "beta", "k"}),
		TypeSoftmaxLoss: commonKeys,
		TypeConcat:      commonKeys,
	}

	// layerTypes lists the type words in the order the docs give them.
	layerTypes = []string{string(TypeFC), string(TypeConv), string(TypePool),
		string(TypeReLU), string(TypeSigmoid), string(TypeTanh), string(TypeDropout),
		string(TypeLRN), string(TypeSoftmaxLoss), string(TypeConcat)}

	// allLayerKeys is every key some layer type has.
	allLayerKeys = join(commonKeys, []string{"outputs", "filters", "method", "groups",
		"rate", "size", "alpha", "beta", "k"}, windowKeys, paramKeys)

	fillKinds = []string{string(layer.FillConstant), string(layer.FillGaussian),
		string(layer.FillUniform), string(layer.FillXavier), string(layer.FillHe)}
	fillKeys = map[layer.FillKind][]string{
		layer.FillConstant: {"type", "value"},
		layer.FillGaussian: {"type", "mean", "std"},
		layer.FillUniform:  {"type", "min", "max"},
		layer.FillXavier:   {"type"},
		layer.FillHe:       {"type"},
	}
	allFillKeys = []string{"type", "value", "mean", "std", "min", "max"}

	poolMethods = []string{string(layer.PoolMax), string(layer.PoolAverage)}
)

// The defaults of layer fields.
var (
	defaultWeightFill = layer.Fill{Kind: layer.FillXavier}
	defaultBiasFill   = layer.Fill{Kind: layer.FillConstant}
)

const (
	defaultDropoutRate = 0.5
	defaultLRNSize     = 5
	defaultLRNAlpha    = 1e-4
	defaultLRNBeta     = 0.75
	defaultLRNK        = 1
)

func join(lists ...[]string) []string {
	return slices.Concat(lists...)
}

// layer decodes entry i of model.layers. Inputs stay nil when the spec
// gives none; graph fills them in.
func (d *decoder) layer(i int, n *yaml.Node) LayerSpec {
	path := index("model.layers", i)
	l := LayerSpec{Line: n.Line, Column: n.Column, LRMult: 1, BiasLRMult: 1, DecayMult: 1}
	o := d.object(path, n, n, "a layer such as {name: fc1, type: fc, outputs: 10}")
	o.need("name", "type")

	if nn := o.val["name"]; nn != nil {
		if name, ok := d.str(nn, o.sub("name"), "a layer name"); ok {
			d.layerName(nn, o.sub("name"), name)
			l.Name = name
		}
	}
	l.Type = LayerType(o.enum("type", "", layerTypes))

	allowed, known := layerKeys[l.Type]
	if !known {
		allowed = allLayerKeys // still catch typos when the type is wrong
	}
	o.known(allowed, func(key string) (error, string) {
		if !known {
			return nil, ""
		}
		if slices.Contains(allLayerKeys, key) {
			msg := "not a field of layer type " + string(l.Type)
			if c := closest(key, allowed); c != "" {
				msg += "; did you mean " + c + "?"
			}
			return ErrUnknownKey, msg
		}
		if closest(key, allowed) == "" {
			// A typo of another type's field: name it, and say it
			// would not fit here either.
			if c := closest(key, allLayerKeys); c != "" {
				return ErrUnknownKey, "unknown key; did you mean " + c +
					"? (not a field of layer type " + string(l.Type) + " either)"
			}
		}
		return nil, ""
	})

	if l.Type == TypeConcat && !o.has("inputs") {
		o.missing("inputs", "required for concat: list the layers to concatenate")
	}
	if in := o.val["inputs"]; in != nil {
		l.Inputs = d.inputs(in, o.sub("inputs"))
	}
	d.partitionKey(o, &l, d.par)

	switch l.Type {
	case TypeFC:
		l.Config = d.fullyConnected(o, &l)
	case TypeConv:
		l.Config = d.conv(o, &l)
	case TypePool:
		l.Config = d.pool(o)
	case TypeDropout:
		l.Config = layer.DropoutConfig{Rate: o.number("rate", defaultDropoutRate, unitNumber)}
	case TypeLRN:
		l.Config = d.lrn(o)
	}
	return l
}

// layerName checks a layer's name.
func (d *decoder) layerName(n *yaml.Node, field, name string) {
	switch {
	case name == InputData || name == InputLabel:
		d.report(n, field, ErrValue, "%q is reserved for the input %s; choose another name",
			name, map[string]string{InputData: "samples", InputLabel: "labels"}[name])
	case !namePattern.MatchString(name) || len(name) > 100 || containsDot(name):
		d.report(n, field, ErrValue, "want up to 100 letters, digits, '_' or '-', got %q",
			name)
	}
}

// containsDot reports a '.' in a layer name: parameters are named
// layer.kind, so a dot would make "a.b.weight" ambiguous.
func containsDot(s string) bool {
	return slices.Contains([]byte(s), '.')
}

// inputs decodes a layer's list of inputs; nil when it has a problem, which
// is reported.
func (d *decoder) inputs(n *yaml.Node, field string) []string {
	items, ok := d.list(n, field, "a list of layer names such as [conv1, conv2]")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		d.report(n, field, ErrValue, "want at least one input, got an empty list")
		return nil
	}
	out := make([]string, len(items))
	for j, e := range items {
		v, good := d.str(e, index(field, j), "a layer name")
		out[j], ok = v, ok && good
	}
	if !ok {
		return nil
	}
	return out
}

// fullyConnected decodes the fields of an fc layer.
func (d *decoder) fullyConnected(o *object, l *LayerSpec) layer.FullyConnectedConfig {
	o.need("outputs")
	cfg := layer.FullyConnectedConfig{Outputs: int(o.integer("outputs", 0, positiveInt))}
	cfg.NoBias, cfg.WeightFill, cfg.BiasFill = d.params(o, l)
	return cfg
}

// conv decodes the fields of a conv layer.
func (d *decoder) conv(o *object, l *LayerSpec) layer.Conv2DConfig {
	o.need("filters")
	cfg := layer.Conv2DConfig{Filters: int(o.integer("filters", 0, positiveInt))}
	cfg.KernelH, cfg.KernelW = d.pair(o, "kernel", 0, 0, positiveInt, true)
	cfg.StrideH, cfg.StrideW = d.pair(o, "stride", 1, 1, positiveInt, false)
	cfg.PadH, cfg.PadW = d.pair(o, "pad", 0, 0, naturalInt, false)
	cfg.Groups = int(o.integer("groups", 1, positiveInt))
	if cfg.Filters > 0 && cfg.Filters%cfg.Groups != 0 {
		d.report(o.val["groups"], o.sub("groups"), ErrValue,
			"%d groups do not divide filters %d", cfg.Groups, cfg.Filters)
	}
	cfg.NoBias, cfg.WeightFill, cfg.BiasFill = d.params(o, l)
	return cfg
}

// pool decodes the fields of a pool layer. The stride defaults to the
// kernel: windows side by side.
func (d *decoder) pool(o *object) layer.PoolConfig {
	cfg := layer.PoolConfig{Method: layer.PoolMethod(o.enum("method", string(layer.PoolMax),
		poolMethods))}
	cfg.KernelH, cfg.KernelW = d.pair(o, "kernel", 0, 0, positiveInt, true)
	cfg.StrideH, cfg.StrideW = d.pair(o, "stride", cfg.KernelH, cfg.KernelW, positiveInt, false)
	cfg.PadH, cfg.PadW = d.pair(o, "pad", 0, 0, naturalInt, false)

	// A window that lies wholly in the padding would pool nothing.
	for _, dim := range []struct {
		suffix    string
		pad, kern int
	}{{"_h", cfg.PadH, cfg.KernelH}, {"_w", cfg.PadW, cfg.KernelW}} {
		if dim.kern > 0 && dim.pad >= dim.kern {
			padKey, kernKey := "pad"+dim.suffix, "kernel"+dim.suffix
			if o.has("pad") {
				padKey = "pad"
			}
			if o.has("kernel") {
				kernKey = "kernel"
			}
			d.report(o.val[padKey], o.sub(padKey), ErrValue, "%s %d must be smaller than "+
				"%s %d", padKey, dim.pad, kernKey, dim.kern)
			break
		}
	}
	return cfg
}

// lrn decodes the fields of an lrn layer.
func (d *decoder) lrn(o *object) layer.LRNConfig {
	cfg := layer.LRNConfig{
		Size:  int(o.integer("size", defaultLRNSize, positiveInt)),
		Alpha: o.number("alpha", defaultLRNAlpha, naturalNumber),
		Beta:  o.number("beta", defaultLRNBeta, naturalNumber),
		K:     o.number("k", defaultLRNK, positiveNumber),
	}
	if cfg.Size%2 == 0 {
		d.report(o.val["size"], o.sub("size"), ErrValue,
			"want an odd size (the window is centred on a channel), got %d", cfg.Size)
	}
	return cfg
}

// pair decodes a window dimension given either as base (both directions) or
// as base_h and base_w.
func (d *decoder) pair(o *object, base string, defH, defW int, r intRange,
	required bool) (int, int) {
	h, w := base+"_h", base+"_w"
	if o.has(base) {
		for _, k := range []string{h, w} {
			o.drop(k, ErrConflict, "give %s, or %s and %s, not both", base, h, w)
		}
		v := int(o.integer(base, int64(defH), r))
		return v, v
	}
	if o.has(h) || o.has(w) {
		for _, k := range [][2]string{{h, w}, {w, h}} {
			if !o.has(k[0]) {
				o.missing(k[0], "required with %s", k[1])
			}
		}
		return int(o.integer(h, int64(defH), r)), int(o.integer(w, int64(defW), r))
	}
	if required {
		o.missing(base, "required field is missing (or give %s and %s)", h, w)
	}
	return defH, defW
}

// params decodes what a layer with weights adds: the bias switch, the
// fills, and the multipliers, which go into l.
func (d *decoder) params(o *object, l *LayerSpec) (noBias bool, weight, bias layer.Fill) {
	noBias = !o.boolean("bias", true)
	if noBias {
		for _, k := range []string{"bias_fill", "bias_lr_mult", "bias_decay_mult"} {
			o.drop(k, ErrConflict, "the layer has no bias (bias: false)")
		}
	}
	weight = d.fill(o, "weight_fill", defaultWeightFill)
	bias = d.fill(o, "bias_fill", defaultBiasFill)
	l.LRMult = o.number("lr_mult", 1, naturalNumber)
	l.BiasLRMult = o.number("bias_lr_mult", 1, naturalNumber)
	l.DecayMult = o.number("decay_mult", 1, naturalNumber)
	l.BiasDecayMult = o.number("bias_decay_mult", 0, naturalNumber)
	return noBias, weight, bias
}

// fill decodes a fill: a word (xavier) or a mapping ({type: gaussian,
// std: 0.01}).
func (d *decoder) fill(parent *object, key string, def layer.Fill) layer.Fill {
	n := parent.val[key]
	if n == nil {
		return def
	}
	field := parent.sub(key)
	switch n.Kind {
	case yaml.ScalarNode:
		kind, ok := d.enum(n, field, fillKinds)
		if !ok {
			return def
		}
		f := layer.Fill{Kind: layer.FillKind(kind)}
		switch f.Kind {
		case layer.FillGaussian:
			d.report(n, field, ErrMissing, "gaussian needs std: write {type: gaussian, "+
				"std: 0.01}")
		case layer.FillUniform:
			d.report(n, field, ErrMissing, "uniform needs min and max: write "+
				"{type: uniform, min: -0.1, max: 0.1}")
		}
		return f
	case yaml.MappingNode:
	default:
		d.report(n, field, ErrType, "want a fill such as xavier or {type: gaussian, "+
			"std: 0.01}, got %s", describe(n))
		return def
	}

	o := d.object(field, parent.key[key], n, "a fill")
	o.need("type")
	f := layer.Fill{Kind: layer.FillKind(o.enum("type", "", fillKinds))}
	allowed, known := fillKeys[f.Kind]
	if !known {
		allowed = allFillKeys
	}
	o.known(allowed, func(k string) (error, string) {
		if slices.Contains(allFillKeys, k) {
			return ErrUnknownKey, "not used by fill type " + string(f.Kind)
		}
		return nil, ""
	})
	switch f.Kind {
	case layer.FillConstant:
		f.Value = o.number("value", 0, anyNumber)
	case layer.FillGaussian:
		o.need("std")
		f.Mean = o.number("mean", 0, anyNumber)
		f.Std = o.number("std", 0, naturalNumber)
	case layer.FillUniform:
		o.need("min", "max")
		f.Min = o.number("min", 0, anyNumber)
		f.Max = o.number("max", 0, anyNumber)
		if o.has("min") && o.has("max") && f.Min > f.Max {
			d.report(o.val["max"], o.sub("max"), ErrValue, "max %v is below min %v", f.Max,
				f.Min)
		}
	}
	return f
}

package spec

import (
	"gopkg.in/yaml.v3"

	"github.com/mariana-dl/mariana/tensor"
)

var (
	dataKeys = []string{"format", "dir", "normalize", "random", "shuffle", "augment",
		"pipeline"}
	augmentKeys   = []string{"crop", "pad", "mirror"}
	pipelineKeys  = []string{"threads", "depth"}
	normalizeKeys = []string{"scale", "mean", "std"}
	randomKeys    = []string{"train", "test", "shape", "classes"}
	formats       = []string{string(MNIST), string(CIFAR10), string(Random)}
)

// defaultScale maps bytes to [0, 1].
const defaultScale = float32(1.0 / 255)

// data decodes the data section into out and returns the per-sample shape
// the data delivers, or nil when it is not known (format random without a
// shape, or a problem already reported).
func (d *decoder) data(key, n *yaml.Node, out *Data) []int {
	o := d.object("data", key, n, "a mapping with format, dir, normalize, ...")
	o.known(dataKeys, nil)
	o.need("format")
	out.Format = Format(o.enum("format", "", formats))
	out.Shuffle = o.boolean("shuffle", true)

	switch out.Format {
	case MNIST, CIFAR10:
		o.drop("random", ErrUnknownKey, "used only by format random")
		if out.Format == CIFAR10 {
			o.need("dir")
		}
		out.Dir = o.str("dir", GoMNIST, "a folder")
		if out.Format == CIFAR10 && out.Dir == GoMNIST {
			d.report(o.val["dir"], "data.dir", ErrValue, "gomnist holds MNIST only; give "+
				"the folder of the CIFAR-10 binary files")
		}
		sample := out.Format.SampleShape()
		out.Normalize = d.normalize(o, sample[0])
		if o.has("augment") {
			out.Augment = d.augment(o.key["augment"], o.val["augment"], sample)
		}
		if o.has("pipeline") {
			out.Pipeline = d.pipeline(o.key["pipeline"], o.val["pipeline"])
		} else if o.has("augment") {
			out.Pipeline = Pipeline{Threads: 1, Depth: 2}
		}
		out.Pipeline.Enabled = o.has("pipeline") || o.has("augment")
		return out.SampleShape()

	case Random:
		o.drop("dir", ErrUnknownKey, "format random reads no files")
		o.drop("normalize", ErrUnknownKey, "format random draws normalised samples itself")
		o.drop("augment", ErrUnknownKey, "format random has no images to augment")
		o.drop("pipeline", ErrUnknownKey, "format random reads no files")
		if !o.need("random") {
			return nil
		}
		return d.random(o.key["random"], o.val["random"], &out.Random)
	}

	// The format is missing or wrong: still check what can be checked
	// without it, so that one pass shows every problem.
	o.str("dir", "", "a folder")
	d.normalize(o, 0)
	if o.has("random") {
		d.random(o.key["random"], o.val["random"], &out.Random)
	}
	return nil
}

// normalize decodes data.normalize, for data with the given number of
// channels (0: unknown); Mean and Std come out with one value per channel.
func (d *decoder) normalize(parent *object, channels int) Normalize {
	out := Normalize{Scale: defaultScale}
	perChannel := func(v []float32, fill float32) []float32 {
		if len(v) == 0 {
			v = []float32{fill}
		}
		if len(v) == 1 {
			for len(v) < channels {
				v = append(v, v[0])
			}
		}
		return v
	}
	if !parent.has("normalize") {
		out.Mean, out.Std = perChannel(nil, 0), perChannel(nil, 1)
		return out
	}

	o := d.object("data.normalize", parent.key["normalize"], parent.val["normalize"],
		"a mapping with scale, mean and std")
	o.known(normalizeKeys, nil)
	out.Scale = o.number("scale", defaultScale, positiveNumber)
	for _, f := range []struct {
		key  string
		r    numRange
		fill float32
		dst  *[]float32
	}{
		{"mean", anyNumber, 0, &out.Mean},
		{"std", positiveNumber, 1, &out.Std},
	} {
		var v []float32
		if n := o.val[f.key]; n != nil {
			var ok bool
			v, ok = d.numbers(n, o.sub(f.key), f.r)
			if !ok {
				v = nil
			} else if channels > 0 && len(v) != 1 && len(v) != channels {
				d.report(n, o.sub(f.key), ErrValue, "want 1 value or %d (one per channel), "+
					"got %d", channels, len(v))
				v = nil
			}
		}
		*f.dst = perChannel(v, f.fill)
	}
	return out
}

// random decodes data.random and returns the sample shape it gives, if any.
func (d *decoder) random(key, n *yaml.Node, out *RandomData) []int {
	o := d.object("data.random", key, n, "a mapping with train, test, shape and classes")
	o.known(randomKeys, nil)
	o.need("train", "classes")
	out.Train = int(o.integer("train", 0, positiveInt))
	out.Test = int(o.integer("test", 0, naturalInt))
	out.Classes = int(o.integer("classes", 0, intRange{2, 1 << 24,
		"an integer from 2 to 16777216"}))
	if s := o.val["shape"]; s != nil {
		out.Shape, _ = d.shape(s, "data.random.shape")
	}
	return out.Shape
}

// augment decodes data.augment for images of the given C×H×W shape.
func (d *decoder) augment(key, n *yaml.Node, image tensor.Shape) Augment {
	o := d.object("data.augment", key, n, "a mapping with crop, pad and mirror")
	o.known(augmentKeys, nil)
	out := Augment{
		Pad:    int(o.integer("pad", 0, intRange{0, maxAugmentPad, "an integer from 0 to 64"})),
		Mirror: o.boolean("mirror", false),
	}
	side := min(image[1], image[2])
	out.Crop = int(o.integer("crop", 0, naturalInt))
	if limit := side + 2*out.Pad; out.Crop > limit {
		d.report(o.val["crop"], "data.augment.crop", ErrValue, "crop %d is larger than the "+
			"%d×%d image padded by %d", out.Crop, image[1], image[2], out.Pad)
		out.Crop = 0
	}
	return out
}

// maxAugmentPad bounds data.augment.pad: more padding than that is a slip.
const maxAugmentPad = 64

// pipeline decodes data.pipeline.
func (d *decoder) pipeline(key, n *yaml.Node) Pipeline {
	o := d.object("data.pipeline", key, n, "a mapping with threads and depth")
	o.known(pipelineKeys, nil)
	return Pipeline{
		Threads: int(o.integer("threads", 1, intRange{1, 256, "an integer from 1 to 256"})),
		Depth:   int(o.integer("depth", 2, intRange{1, 64, "an integer from 1 to 64"})),
	}
}

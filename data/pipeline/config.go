package pipeline

import (
	"math"

	"github.com/mariana-dl/mariana/tensor"
)

// defaultDepth is the queue capacity when Config.Depth is 0: one batch
// being made while another waits is enough to hide the jitter of a stage.
const defaultDepth = 2

// Config configures a [Pipeline]. The batching fields mean what they mean
// in [data.LoaderConfig], so a pipeline and a loader with the same values
// deliver the same samples in the same order.
//
// A pixel byte b of channel c becomes (b - Mean[c]) × Scale[c], or
// (b - MeanImage[c,y,x]) × Scale[c] with a mean image, where (y, x) is
// the pixel's place in the source image, as in Caffe.
type Config struct {
	// BatchSize is the number of samples in a mini-batch. Required.
	BatchSize int

	// Shuffle visits the samples of each epoch in the order of
	// [data.Permute] for (Seed, epoch); without it, in file order.
	Shuffle bool

	// Seed picks the shuffled orders and the random crops and mirrors.
	Seed uint64

	// DropLast leaves out the last mini-batch of an epoch when it would
	// be short.
	DropLast bool

	// Train turns on the random parts of preprocessing: the crop is taken
	// at a random place and, with Mirror, mirrored with probability one
	// half. Without it the crop is centred and never mirrored, as
	// evaluation wants.
	Train bool

	// Crop is the side of the square the network sees, cut out of the
	// padded image. 0 keeps the image's own height and width.
	Crop int

	// Pad adds this many pixels on each side of the image before the crop
	// is cut. Padding pixels are 0 in the output: they read as the mean,
	// so they carry no signal.
	Pad int

	// Mirror flips a sample left to right with probability one half, in
	// training only.
	Mirror bool

	// Mean is subtracted from every pixel byte: one value per channel or
	// one for all, in byte units (0 to 255). Empty means 0.
	Mean []float32

	// MeanImage is subtracted pixel by pixel instead of Mean: a C×H×W
	// image of the source's size (before padding and cropping), in byte
	// units.
	MeanImage []float32

	// Scale multiplies a pixel after the mean is subtracted: one value
	// per channel or one for all. Empty means 1.
	Scale []float32

	// Threads is the number of goroutines that preprocess a batch
	// together. 0 or 1 means one. They are the pipeline's own, kept for
	// its lifetime so that a batch costs no goroutine starts, and come on
	// top of the read stage's goroutine: count them all in a device's
	// thread budget.
	Threads int

	// Depth is the capacity, in batches, of each queue between stages.
	// 0 means 2.
	Depth int
}

// Eval returns c for evaluation: no shuffling, every sample once (no
// dropped batch), a centred crop and no mirroring.
func (c Config) Eval() Config {
	c.Shuffle, c.DropLast, c.Train = false, false, false
	return c
}

// geometry is where the crop comes from: source images of c×h×w, padded
// by pad on each side, cropped to ch×cw.
type geometry struct {
	c, h, w int
	pad     int
	ch, cw  int
}

// offsetsY and offsetsX return how many places the crop can take.
func (g geometry) offsetsY() int { return g.h + 2*g.pad - g.ch + 1 }
func (g geometry) offsetsX() int { return g.w + 2*g.pad - g.cw + 1 }

// output returns the shape of one preprocessed sample.
func (g geometry) output() tensor.Shape { return tensor.Shape{g.c, g.ch, g.cw} }

// check validates c for images of the given C×H×W shape and returns the
// crop geometry.
func (c Config) check(image tensor.Shape) (geometry, error) {
	if len(image) != 3 || image[0] < 1 || image[1] < 1 || image[2] < 1 {
		return geometry{}, configErrorf("image shape %v: want C×H×W", image)
	}
	g := geometry{c: image[0], h: image[1], w: image[2], pad: c.Pad, ch: image[1],
		cw: image[2]}

	switch {
	case c.BatchSize < 1:
		return g, configErrorf("batch size %d, want at least 1", c.BatchSize)
	case c.Threads < 0:
		return g, configErrorf("%d threads, want 0 or more", c.Threads)
	case c.Depth < 0:
		return g, configErrorf("queue depth %d, want 0 or more", c.Depth)
	case c.Pad < 0:
		return g, configErrorf("pad %d, want 0 or more", c.Pad)
	case c.Crop < 0:
		return g, configErrorf("crop %d, want 0 or more", c.Crop)
	}
	if c.Crop > 0 {
		g.ch, g.cw = c.Crop, c.Crop
	}
	if g.offsetsY() < 1 || g.offsetsX() < 1 {
		return g, configErrorf("crop %d×%d larger than the padded image %d×%d",
			g.ch, g.cw, g.h+2*c.Pad, g.w+2*c.Pad)
	}

	if err := checkPerChannel("mean", c.Mean, g.c); err != nil {
		return g, err
	}
	if err := checkPerChannel("scale", c.Scale, g.c); err != nil {
		return g, err
	}
	if c.MeanImage != nil {
		if len(c.Mean) > 0 {
			return g, configErrorf("both mean and a mean image given")
		}
		if len(c.MeanImage) != image.Size() {
			return g, configErrorf("mean image of %d values for images of shape %v",
				len(c.MeanImage), image)
		}
		if err := checkPerChannel("mean image", c.MeanImage, len(c.MeanImage)); err != nil {
			return g, err
		}
	}
	return g, nil
}

// checkPerChannel checks that v holds 0, 1 or channels finite values.
func checkPerChannel(what string, v []float32, channels int) error {
	if k := len(v); k > 1 && k != channels {
		return configErrorf("%s has %d values for %d channels", what, k, channels)
	}
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return configErrorf("%s[%d] is %v", what, i, x)
		}
	}
	return nil
}

// perChannel returns v spread over channels, or def when v is empty.
func perChannel(v []float32, channels int, def float32) []float32 {
	out := make([]float32, channels)
	for c := range out {
		switch len(v) {
		case 0:
			out[c] = def
		case 1:
			out[c] = v[0]
		default:
			out[c] = v[c]
		}
	}
	return out
}

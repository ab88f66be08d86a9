package data

import "math"

// Normalize says how a pixel byte x of channel c becomes a float32:
//
//	(x/255 - Mean[c]) / Std[c]
//
// Mean and Std hold one value per channel, or a single value for all
// channels. An empty Mean means 0 and an empty Std means 1, so the zero
// Normalize is plain scaling to [0, 1].
type Normalize struct {
	Mean []float32
	Std  []float32
}

// MNISTNormalize standardises MNIST with the mean and standard deviation of
// its training images (0.1307 and 0.3081, see [ImageSet.Stats]).
var MNISTNormalize = Normalize{Mean: []float32{0.1307}, Std: []float32{0.3081}}

// CIFAR10Normalize standardises CIFAR-10 with the per-channel (R, G, B)
// mean and standard deviation of its training images.
var CIFAR10Normalize = Normalize{
	Mean: []float32{0.4914, 0.4822, 0.4465},
	Std:  []float32{0.2470, 0.2435, 0.2616},
}

// validate checks that n fits images of the given number of channels.
func (n Normalize) validate(channels int) error {
	if k := len(n.Mean); k != 0 && k != 1 && k != channels {
		return configErrorf("normalize: mean has %d values for %d channels", k, channels)
	}
	if k := len(n.Std); k != 0 && k != 1 && k != channels {
		return configErrorf("normalize: std has %d values for %d channels", k, channels)
	}
	for c, m := range n.Mean {
		if math.IsNaN(float64(m)) || math.IsInf(float64(m), 0) {
			return configErrorf("normalize: mean[%d] is %v", c, m)
		}
	}
	for c, s := range n.Std {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return configErrorf("normalize: std[%d] is %v, want a positive number", c, s)
		}
	}
	return nil
}

// channel returns the mean and standard deviation for channel c.
func (n Normalize) channel(c int) (mean, std float64) {
	mean, std = 0, 1
	switch len(n.Mean) {
	case 0:
	case 1:
		mean = float64(n.Mean[0])
	default:
		mean = float64(n.Mean[c])
	}
	switch len(n.Std) {
	case 0:
	case 1:
		std = float64(n.Std[0])
	default:
		std = float64(n.Std[c])
	}
	return mean, std
}

// table returns, for each channel, the float32 that every byte value maps
// to. Looking values up is cheaper than the arithmetic and gives exactly
// the same result on every path.
func (n Normalize) table(channels int) [][256]float32 {
	t := make([][256]float32, channels)
	for c := range t {
		mean, std := n.channel(c)
		for x := range 256 {
			t[c][x] = float32((float64(x)/255 - mean) / std)
		}
	}
	return t
}

// clone returns a copy of n that shares no memory with it.
func (n Normalize) clone() Normalize {
	return Normalize{
		Mean: append([]float32(nil), n.Mean...),
		Std:  append([]float32(nil), n.Std...),
	}
}

package data

import (
	"math"

	"github.com/mariana-dl/mariana/tensor"
)

// ImageSet is a [Dataset] of byte images with class labels. Pixels stay
// bytes in memory, C×H×W per sample, and are normalised as samples are
// copied out.
type ImageSet struct {
	shape   tensor.Shape // C, H, W
	classes int
	pix     []uint8 // Len() × shape.Size()
	labels  []uint8
	norm    Normalize
	table   [][256]float32 // per channel: byte value → normalised value
}

// NewImageSet returns a dataset over pix (len(labels) samples of the given
// C×H×W shape, concatenated) and labels, normalised with plain scaling
// until [ImageSet.SetNormalize] says otherwise. It keeps pix and labels
// without copying them.
func NewImageSet(shape tensor.Shape, classes int, pix, labels []uint8) (*ImageSet, error) {
	if len(shape) != 3 {
		return nil, configErrorf("image shape %v: want C×H×W", shape)
	}
	for _, d := range shape {
		if d <= 0 {
			return nil, configErrorf("image shape %v: dimensions must be positive", shape)
		}
	}
	if classes < 1 || classes > 256 {
		return nil, configErrorf("%d classes: want 1 to 256", classes)
	}
	if len(labels) == 0 {
		return nil, configErrorf("image set has no samples")
	}
	if len(pix) != len(labels)*shape.Size() {
		return nil, configErrorf("%d pixel bytes for %d images of shape %v: want %d",
			len(pix), len(labels), shape, len(labels)*shape.Size())
	}
	for i, l := range labels {
		if int(l) >= classes {
			return nil, configErrorf("label %d of sample %d is not below %d classes", l, i, classes)
		}
	}

	s := &ImageSet{shape: shape.Clone(), classes: classes, pix: pix, labels: labels}
	s.table = s.norm.table(shape[0])
	return s, nil
}

// Len returns the number of images.
func (s *ImageSet) Len() int { return len(s.labels) }

// SampleShape returns C×H×W. The caller must not modify it.
func (s *ImageSet) SampleShape() tensor.Shape { return s.shape }

// Classes returns the number of classes.
func (s *ImageSet) Classes() int { return s.classes }

// Label returns the class of image i.
func (s *ImageSet) Label(i int) int { return int(s.labels[i]) }

// Pixels returns the bytes of image i, C×H×W, sharing the set's memory.
func (s *ImageSet) Pixels(i int) []uint8 {
	n := s.shape.Size()
	return s.pix[i*n : (i+1)*n : (i+1)*n]
}

// Normalize returns the normalisation in use.
func (s *ImageSet) Normalize() Normalize { return s.norm.clone() }

// SetNormalize changes how pixels become float32 values. It must not be
// called while a [Loader] reads from s.
func (s *ImageSet) SetNormalize(n Normalize) error {
	if err := n.validate(s.shape[0]); err != nil {
		return err
	}
	s.norm = n.clone()
	s.table = s.norm.table(s.shape[0])
	return nil
}

// Sample writes image i, normalised, into dst and returns its label.
func (s *ImageSet) Sample(i int, dst []float32) int {
	plane := s.shape[1] * s.shape[2]
	pix := s.Pixels(i)
	dst = dst[:len(pix)]
	for c := range s.table {
		table := &s.table[c]
		src := pix[c*plane : (c+1)*plane]
		out := dst[c*plane : (c+1)*plane]
		out = out[:len(src)]
		for j, x := range src {
			out[j] = table[x]
		}
	}
	return int(s.labels[i])
}

// Stats returns the mean and standard deviation of each channel over all
// images, with pixels scaled to [0, 1], the numbers a [Normalize] wants.
func (s *ImageSet) Stats() (mean, std []float32) {
	// A histogram of byte values per channel makes the sums exact.
	channels, plane := s.shape[0], s.shape[1]*s.shape[2]
	hist := make([][256]int64, channels)
	per := s.shape.Size()
	for off := 0; off < len(s.pix); off += per {
		for c := range channels {
			h := &hist[c]
			for _, x := range s.pix[off+c*plane : off+(c+1)*plane] {
				h[x]++
			}
		}
	}

	mean = make([]float32, channels)
	std = make([]float32, channels)
	for c := range channels {
		var n, sum, sq float64
		for x, k := range hist[c] {
			v := float64(x) / 255
			n += float64(k)
			sum += float64(k) * v
			sq += float64(k) * v * v
		}
		m := sum / n
		mean[c] = float32(m)
		std[c] = float32(math.Sqrt(math.Max(sq/n-m*m, 0)))
	}
	return mean, std
}

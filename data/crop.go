package data

import (
	"fmt"
	"sync"

	"github.com/mariana-dl/mariana/tensor"
)

// CenterCrop is a [Dataset] of the centred square of every image of
// another, as the input pipeline's evaluation batches cut it
// (data/pipeline): each image is padded by Pad zeros on every side, and
// the Side×Side square at offset ⌊(H + 2·Pad − Side)/2⌋ from the padded
// top (likewise from the left) is kept. Padding reads as 0, the mean of
// normalised data.
type CenterCrop struct {
	ds        Dataset
	side, pad int
	shape     tensor.Shape
	scratch   sync.Pool // *[]float32 of one sample of ds
}

// NewCenterCrop returns the centre crops of side×side of ds's C×H×W
// images padded by pad. The crop must fit the padded image.
func NewCenterCrop(ds Dataset, side, pad int) (*CenterCrop, error) {
	in := ds.SampleShape()
	if len(in) != 3 {
		return nil, fmt.Errorf("data: centre crop of samples %v, want C×H×W images", in)
	}
	if side <= 0 || pad < 0 || side > in[1]+2*pad || side > in[2]+2*pad {
		return nil, fmt.Errorf("data: centre crop of %d from %v images padded by %d does "+
			"not fit", side, in, pad)
	}
	c := &CenterCrop{ds: ds, side: side, pad: pad, shape: tensor.Shape{in[0], side, side}}
	n := in.Size()
	c.scratch.New = func() any {
		buf := make([]float32, n)
		return &buf
	}
	return c, nil
}

// Len implements [Dataset].
func (c *CenterCrop) Len() int { return c.ds.Len() }

// SampleShape implements [Dataset]: C×Side×Side.
func (c *CenterCrop) SampleShape() tensor.Shape { return c.shape }

// Classes implements [Dataset].
func (c *CenterCrop) Classes() int { return c.ds.Classes() }

// Sample implements [Dataset].
func (c *CenterCrop) Sample(i int, dst []float32) int {
	buf := c.scratch.Get().(*[]float32)
	defer c.scratch.Put(buf)
	label := c.ds.Sample(i, *buf)

	in := c.ds.SampleShape()
	h, w := in[1], in[2]
	oy := (h+2*c.pad-c.side)/2 - c.pad
	ox := (w+2*c.pad-c.side)/2 - c.pad
	src := *buf
	for ch := 0; ch < in[0]; ch++ {
		for y := 0; y < c.side; y++ {
			row := dst[(ch*c.side+y)*c.side : (ch*c.side+y+1)*c.side]
			sy := oy + y
			if sy < 0 || sy >= h {
				clear(row)
				continue
			}
			for x := range row {
				sx := ox + x
				if sx < 0 || sx >= w {
					row[x] = 0
					continue
				}
				row[x] = src[(ch*h+sy)*w+sx]
			}
		}
	}
	return label
}

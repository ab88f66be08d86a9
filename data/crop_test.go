package data

import (
	"testing"

	"github.com/mariana-dl/mariana/tensor"
)

// TestCenterCrop checks the centre crops of a 2×4×4 image, inside it and
// reaching into the padding, against values worked out by hand.
func TestCenterCrop(t *testing.T) {
	pix := make([]uint8, 2*4*4)
	for i := range pix {
		pix[i] = uint8(i + 1)
	}
	set, err := NewImageSet(tensor.Shape{2, 4, 4}, 3, pix, []uint8{2})
	if err != nil {
		t.Fatal(err)
	}
	// Plain scaling: a byte b reads as b/255.
	v := func(b int) float32 { return float32(b) / 255 }

	tests := []struct {
		side, pad int
		want      []float32 // bytes of the crop, 0 for padding
	}{
		{4, 0, nil}, // the image itself
		{2, 0, []float32{6, 7, 10, 11, 22, 23, 26, 27}},
		{3, 0, []float32{1, 2, 3, 5, 6, 7, 9, 10, 11, 17, 18, 19, 21, 22, 23, 25, 26, 27}},
		{5, 1, []float32{0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 5, 6, 7, 8, 0, 9, 10, 11, 12, 0,
			13, 14, 15, 16, 0, 0, 0, 0, 0, 0, 17, 18, 19, 20, 0, 21, 22, 23, 24, 0, 25, 26,
			27, 28, 0, 29, 30, 31, 32}},
	}
	for _, tt := range tests {
		c, err := NewCenterCrop(set, tt.side, tt.pad)
		if err != nil {
			t.Fatal(err)
		}
		if want := (tensor.Shape{2, tt.side, tt.side}); !c.SampleShape().Equal(want) {
			t.Errorf("crop %d pad %d: shape %v, want %v", tt.side, tt.pad, c.SampleShape(), want)
		}
		want := tt.want
		if want == nil {
			for i := range pix {
				want = append(want, float32(pix[i]))
			}
		}
		dst := make([]float32, c.SampleShape().Size())
		if label := c.Sample(0, dst); label != 2 {
			t.Errorf("crop %d pad %d: label %d, want 2", tt.side, tt.pad, label)
		}
		for i, b := range want {
			if dst[i] != v(int(b)) {
				t.Fatalf("crop %d pad %d: value %d is %g, want %g (byte %g)", tt.side, tt.pad,
					i, dst[i], v(int(b)), b)
			}
		}
	}

	for _, bad := range [][2]int{{0, 0}, {5, 0}, {7, 1}, {2, -1}} {
		if _, err := NewCenterCrop(set, bad[0], bad[1]); err == nil {
			t.Errorf("crop %d pad %d of a 4×4 image: no error", bad[0], bad[1])
		}
	}
}

package data

import (
	"errors"
	"math"
	"testing"

	"github.com/mariana-dl/mariana/tensor"
)

func TestImageSetNormalize(t *testing.T) {
	// Two images of 3 channels of 1×2 pixels.
	pix := []uint8{0, 255, 10, 20, 128, 64, 1, 2, 3, 4, 5, 6}
	set, err := NewImageSet(tensor.Shape{3, 1, 2}, 4, pix, []uint8{3, 1})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, 6)

	// Plain scaling by default.
	if label := set.Sample(0, dst); label != 3 {
		t.Errorf("label %d, want 3", label)
	}
	for j, x := range pix[:6] {
		if dst[j] != float32(float64(x)/255) {
			t.Errorf("plain: value %d = %v, want %v", j, dst[j], float64(x)/255)
		}
	}

	norm := Normalize{Mean: []float32{0.1, 0.2, 0.3}, Std: []float32{0.5, 0.25, 2}}
	if err := set.SetNormalize(norm); err != nil {
		t.Fatal(err)
	}
	if label := set.Sample(1, dst); label != 1 {
		t.Errorf("label %d, want 1", label)
	}
	for j, x := range pix[6:] {
		c := j / 2
		want := (float64(x)/255 - float64(norm.Mean[c])) / float64(norm.Std[c])
		if math.Abs(float64(dst[j])-want) > 1e-6 {
			t.Errorf("value %d = %v, want %v", j, dst[j], want)
		}
	}

	// One value stands for all channels.
	if err := set.SetNormalize(Normalize{Mean: []float32{0.5}, Std: []float32{0.5}}); err != nil {
		t.Fatal(err)
	}
	set.Sample(0, dst)
	if dst[0] != -1 || dst[1] != 1 {
		t.Errorf("0 and 255 become %v and %v, want -1 and 1", dst[0], dst[1])
	}

	// The set keeps its own copy.
	norm.Mean[0] = 99
	if got := set.Normalize(); got.Mean[0] != 0.5 {
		t.Errorf("normalisation changed from outside: %+v", got)
	}
}

func TestNormalizeErrors(t *testing.T) {
	set, err := NewImageSet(tensor.Shape{3, 1, 1}, 2, []uint8{1, 2, 3}, []uint8{0})
	if err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	for _, n := range []Normalize{
		{Mean: []float32{1, 2}},
		{Std: []float32{1, 2, 3, 4}},
		{Std: []float32{0}},
		{Std: []float32{1, -1, 1}},
		{Std: []float32{nan}},
		{Std: []float32{float32(math.Inf(1))}},
		{Mean: []float32{nan}},
	} {
		if err := set.SetNormalize(n); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: error %v, want ErrConfig", n, err)
		}
	}
}

func TestNewImageSetErrors(t *testing.T) {
	for _, c := range []struct {
		shape   tensor.Shape
		classes int
		pix     []uint8
		labels  []uint8
	}{
		{tensor.Shape{4}, 2, make([]uint8, 4), []uint8{0}},
		{tensor.Shape{1, 0, 2}, 2, nil, []uint8{0}},
		{tensor.Shape{1, 1, 2}, 0, make([]uint8, 2), []uint8{0}},
		{tensor.Shape{1, 1, 2}, 2, make([]uint8, 3), []uint8{0}},
		{tensor.Shape{1, 1, 2}, 2, nil, nil},
		{tensor.Shape{1, 1, 2}, 2, make([]uint8, 4), []uint8{0, 2}},
	} {
		if _, err := NewImageSet(c.shape, c.classes, c.pix, c.labels); !errors.Is(err, ErrConfig) {
			t.Errorf("%v %d classes %d bytes %v: error %v", c.shape, c.classes, len(c.pix),
				c.labels, err)
		}
	}
}

func TestImageSetStats(t *testing.T) {
	// Channel 0 holds 0 and 255 (mean 0.5, std 0.5), channel 1 only 51.
	set, err := NewImageSet(tensor.Shape{2, 1, 1}, 1, []uint8{0, 51, 255, 51}, []uint8{0, 0})
	if err != nil {
		t.Fatal(err)
	}
	mean, std := set.Stats()
	want := [][2]float32{{0.5, 0.5}, {0.2, 0}}
	for c := range 2 {
		if math.Abs(float64(mean[c]-want[c][0])) > 1e-6 ||
			math.Abs(float64(std[c]-want[c][1])) > 1e-6 {
			t.Errorf("channel %d: mean %v std %v, want %v", c, mean[c], std[c], want[c])
		}
	}
}

func TestRandom(t *testing.T) {
	shape := tensor.Shape{3, 4, 5}
	a, err := NewRandom(shape, 7, 500, 11)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewRandom(shape, 7, 500, 11)
	c, _ := NewRandom(shape, 7, 500, 12)
	if a.Len() != 500 || a.Classes() != 7 || !a.SampleShape().Equal(shape) {
		t.Fatalf("len %d classes %d shape %v", a.Len(), a.Classes(), a.SampleShape())
	}

	da, db, dc := make([]float32, 60), make([]float32, 60), make([]float32, 60)
	var sum, sq float64
	seen := make(map[int]bool)
	differs := false
	for i := range a.Len() {
		la, lb, lc := a.Sample(i, da), b.Sample(i, db), c.Sample(i, dc)
		if la != lb || la < 0 || la >= 7 {
			t.Fatalf("sample %d: labels %d and %d", i, la, lb)
		}
		seen[la] = true
		for j := range da {
			if da[j] != db[j] {
				t.Fatalf("same seed, sample %d differs", i)
			}
			differs = differs || da[j] != dc[j] || la != lc
			sum += float64(da[j])
			sq += float64(da[j]) * float64(da[j])
		}
	}
	if !differs {
		t.Error("seeds 11 and 12 gave the same data")
	}
	if len(seen) != 7 {
		t.Errorf("labels seen %v, want all 7 classes", seen)
	}
	n := float64(a.Len() * 60)
	if mean, variance := sum/n, sq/n-(sum/n)*(sum/n); math.Abs(mean) > 0.02 ||
		math.Abs(variance-1) > 0.03 {
		t.Errorf("mean %v variance %v, want about 0 and 1", mean, variance)
	}
}

func TestNewRandomErrors(t *testing.T) {
	for _, c := range []struct {
		shape      tensor.Shape
		classes, n int
	}{
		{nil, 2, 1},
		{tensor.Shape{0}, 2, 1},
		{tensor.Shape{2}, 0, 1},
		{tensor.Shape{2}, 2, 0},
		{tensor.Shape{1 << 20, 1 << 20, 1 << 20}, 2, 1},
		{tensor.Shape{1 << 20}, 2, 1 << 20},
	} {
		if _, err := NewRandom(c.shape, c.classes, c.n, 1); !errors.Is(err, ErrConfig) {
			t.Errorf("%v %d %d: error %v", c.shape, c.classes, c.n, err)
		}
	}
}

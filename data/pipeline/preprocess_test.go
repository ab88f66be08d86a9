package pipeline

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// handImage is a 2×3×4 image whose pixel (c, y, x) is 100c + 10y + x + 1,
// so that every value tells where it came from and none is 0, the value of
// padding.
func handImage() []byte {
	pix := make([]byte, 2*3*4)
	for c := range 2 {
		for y := range 3 {
			for x := range 4 {
				pix[c*12+y*4+x] = byte(100*c + 10*y + x + 1)
			}
		}
	}
	return pix
}

// handPrep returns a preprocessor for handImage padded by 1 and cropped to
// 3×3.
func handPrep(t *testing.T, cfg Config) *preprocessor {
	t.Helper()
	cfg.BatchSize, cfg.Crop, cfg.Pad = 1, 3, 1
	g, err := cfg.check(tensor.Shape{2, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	if g.offsetsY() != 3 || g.offsetsX() != 4 {
		t.Fatalf("%d×%d crop offsets, want 3×4", g.offsetsY(), g.offsetsX())
	}
	return newPreprocessor(g, cfg)
}

// TestSampleByHand checks crops at the corners and the centre of the
// padded hand image, mirrored and not, against values worked out by hand.
func TestSampleByHand(t *testing.T) {
	p := handPrep(t, Config{})
	for _, tc := range []struct {
		name   string
		oy, ox int
		mirror bool
		want   []float32 // channel 0 then channel 1, row by row
	}{
		{"top left", 0, 0, false, []float32{
			0, 0, 0, 0, 1, 2, 0, 11, 12,
			0, 0, 0, 0, 101, 102, 0, 111, 112}},
		{"top left mirrored", 0, 0, true, []float32{
			0, 0, 0, 2, 1, 0, 12, 11, 0,
			0, 0, 0, 102, 101, 0, 112, 111, 0}},
		{"bottom right", 2, 3, false, []float32{
			13, 14, 0, 23, 24, 0, 0, 0, 0,
			113, 114, 0, 123, 124, 0, 0, 0, 0}},
		{"bottom right mirrored", 2, 3, true, []float32{
			0, 14, 13, 0, 24, 23, 0, 0, 0,
			0, 114, 113, 0, 124, 123, 0, 0, 0}},
		{"centre", 1, 1, false, []float32{
			1, 2, 3, 11, 12, 13, 21, 22, 23,
			101, 102, 103, 111, 112, 113, 121, 122, 123}},
		{"centre mirrored", 1, 1, true, []float32{
			3, 2, 1, 13, 12, 11, 23, 22, 21,
			103, 102, 101, 113, 112, 111, 123, 122, 121}},
		{"right edge", 1, 2, true, []float32{
			4, 3, 2, 14, 13, 12, 24, 23, 22,
			104, 103, 102, 114, 113, 112, 124, 123, 122}},
	} {
		got := make([]float32, 18)
		for i := range got {
			got[i] = -1 // every value must be written
		}
		p.sample(got, handImage(), tc.oy, tc.ox, tc.mirror)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got\n%v\nwant\n%v", tc.name, got, tc.want)
		}
	}
}

// TestMeanAndScaleByHand checks per-channel means and scales, and a mean
// image that must be mirrored and cropped together with the pixels.
func TestMeanAndScaleByHand(t *testing.T) {
	p := handPrep(t, Config{Mean: []float32{1, 100}, Scale: []float32{2, 0.5}})
	got := make([]float32, 18)
	p.sample(got, handImage(), 1, 1, false)
	want := []float32{
		0, 2, 4, 20, 22, 24, 40, 42, 44,
		0.5, 1, 1.5, 5.5, 6, 6.5, 10.5, 11, 11.5}
	if !slices.Equal(got, want) {
		t.Errorf("per-channel mean and scale: got\n%v\nwant\n%v", got, want)
	}

	// Mean image 10y + x leaves 100c + 1 wherever pixel and mean line up.
	mean := make([]float32, 24)
	for c := range 2 {
		for y := range 3 {
			for x := range 4 {
				mean[c*12+y*4+x] = float32(10*y + x)
			}
		}
	}
	p = handPrep(t, Config{MeanImage: mean, Scale: []float32{1, 3}})
	p.sample(got, handImage(), 0, 0, true)
	want = []float32{
		0, 0, 0, 1, 1, 0, 1, 1, 0,
		0, 0, 0, 303, 303, 0, 303, 303, 0}
	if !slices.Equal(got, want) {
		t.Errorf("mean image, mirrored: got\n%v\nwant\n%v", got, want)
	}
}

// reference preprocesses one image the slow, obvious way.
func reference(g geometry, cfg Config, pix []byte, oy, ox int, mirror bool) []float32 {
	mean := perChannel(cfg.Mean, g.c, 0)
	scale := perChannel(cfg.Scale, g.c, 1)
	out := make([]float32, g.c*g.ch*g.cw)
	for c := range g.c {
		for y := range g.ch {
			for x := range g.cw {
				k := x
				if mirror {
					k = g.cw - 1 - x
				}
				sy, sx := oy+y-g.pad, ox+k-g.pad
				if sy < 0 || sy >= g.h || sx < 0 || sx >= g.w {
					continue
				}
				i := (c*g.h+sy)*g.w + sx
				v := float32((float64(pix[i]) - float64(mean[c])) * float64(scale[c]))
				if cfg.MeanImage != nil {
					v = (float32(pix[i]) - cfg.MeanImage[i]) * scale[c]
				}
				out[(c*g.ch+y)*g.cw+x] = v
			}
		}
	}
	return out
}

// checkAgainstReference compares sample with reference for every crop
// offset, mirrored and not, of a random image of the given geometry.
func checkAgainstReference(t *testing.T, rng *rand.Rand, c, h, w, pad, crop int,
	meanImage bool) {
	t.Helper()
	cfg := Config{BatchSize: 1, Crop: crop, Pad: pad,
		Mean: []float32{float32(rng.IntN(256))}, Scale: []float32{rng.Float32() + 0.1}}
	shape := tensor.Shape{c, h, w}
	if meanImage {
		cfg.Mean = nil
		cfg.MeanImage = make([]float32, shape.Size())
		for i := range cfg.MeanImage {
			cfg.MeanImage[i] = rng.Float32() * 255
		}
	}
	g, err := cfg.check(shape)
	if err != nil {
		t.Fatal(err)
	}
	p := newPreprocessor(g, cfg)
	pix := make([]byte, shape.Size())
	for i := range pix {
		pix[i] = byte(rng.Uint32())
	}

	got := make([]float32, g.output().Size())
	for oy := range g.offsetsY() {
		for ox := range g.offsetsX() {
			for _, mirror := range []bool{false, true} {
				p.sample(got, pix, oy, ox, mirror)
				want := reference(g, cfg, pix, oy, ox, mirror)
				if !slices.Equal(got, want) {
					t.Fatalf("%v pad %d crop %d at (%d, %d) mirror %v mean image %v:\n"+
						"got  %v\nwant %v", shape, pad, crop, oy, ox, mirror, meanImage,
						got, want)
				}
			}
		}
	}
}

// TestSampleMatchesReference tries many geometries, offsets and mirrors.
func TestSampleMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		c, h, w, pad := 1+rng.IntN(3), 1+rng.IntN(9), 1+rng.IntN(9), rng.IntN(4)
		crop := 1 + rng.IntN(min(h, w)+2*pad)
		checkAgainstReference(t, rng, c, h, w, pad, crop, rng.IntN(2) == 0)
	}
}

// TestAugmentInPipeline reads images whose red value is the row + 1 and
// green value the column + 1 through a training pipeline (crop 32 of 32
// padded by 4, mirror) and checks every sample against the reference for
// the offsets and mirror augment draws for its (seed, epoch, index); then
// that the draws cover every offset and mirror about half the samples.
func TestAugmentInPipeline(t *testing.T) {
	const n = 400
	rng := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n*data.CIFAR10Record)
	for i := range n {
		rec := b[i*data.CIFAR10Record : (i+1)*data.CIFAR10Record]
		rec[0] = byte(i % 10)
		for y := range 32 {
			for x := range 32 {
				rec[1+y*32+x] = byte(y + 1)
				rec[1+1024+y*32+x] = byte(x + 1)
				rec[1+2048+y*32+x] = byte(rng.Uint32())
			}
		}
	}
	path := filepath.Join(t.TempDir(), "data_batch_1.bin")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	src := openCIFAR(t, path)
	cfg := Config{BatchSize: 50, Shuffle: true, Seed: 77, Train: true, Crop: 32, Pad: 4,
		Mirror: true, Threads: 2}
	p := newPipeline(t, src, cfg)

	perm := make([]int32, n)
	var x, y tensor.Tensor
	mirrored := 0
	var seenY, seenX [9]int
	changed := 0
	first := map[int32][3]int{}
	for epoch := range 2 {
		data.Permute(perm, cfg.Seed, epoch)
		for k := range p.BatchesPerEpoch() {
			if _, err := p.Next(&x, &y); err != nil {
				t.Fatal(err)
			}
			for i := range x.Batch() {
				index := perm[k*cfg.BatchSize+i]
				oy, ox, mirror := augment(cfg.Seed, epoch, index, 9, 9)
				pix := b[int(index)*data.CIFAR10Record+1 : int(index+1)*data.CIFAR10Record]
				want := reference(p.geom, cfg, pix, oy, ox, mirror)
				got := x.Data[i*data.CIFAR10Image : (i+1)*data.CIFAR10Image]
				if !slices.Equal(got, want) {
					t.Fatalf("epoch %d sample %d: not the crop at (%d, %d) mirror %v",
						epoch, index, oy, ox, mirror)
				}

				// The red value of output row 16 names its source row.
				if r := int(got[16*32+16]) - 1; r != oy+16-4 {
					t.Fatalf("sample %d: row 16 holds image row %d, want %d", index, r,
						oy+12)
				}
				seenY[oy]++
				seenX[ox]++
				if mirror {
					mirrored++
				}
				draw := [3]int{oy, ox, btoi(mirror)}
				if epoch == 0 {
					first[index] = draw
				} else if first[index] != draw {
					changed++
				}
			}
		}
	}

	if mirrored < 2*n*4/10 || mirrored > 2*n*6/10 {
		t.Errorf("%d of %d samples mirrored", mirrored, 2*n)
	}
	for o := range 9 {
		if seenY[o] == 0 || seenX[o] == 0 {
			t.Errorf("offset %d never drawn: rows %v columns %v", o, seenY, seenX)
		}
	}
	if changed < n/2 {
		t.Errorf("only %d of %d samples got other crops in the second epoch", changed, n)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

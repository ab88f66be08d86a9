package data

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// cifarFile returns count CIFAR-10 records; record i has label
// (first+i) mod 10 and pixel j equal to (first+i+j) mod 256.
func cifarFile(first, count int) []byte {
	var b []byte
	for i := first; i < first+count; i++ {
		b = append(b, byte(i%10))
		for j := range CIFAR10Image {
			b = append(b, byte(i+j))
		}
	}
	return b
}

func TestLoadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	for k, name := range CIFAR10TrainFiles() {
		file := cifarFile(3*k, 3)
		if k%2 == 1 {
			file = gzipped(t, file) // the magic bytes decide, not the name
		}
		writeFile(t, dir, name, file)
	}
	writeFile(t, dir, CIFAR10TestFile, cifarFile(100, 2))

	train, test, err := LoadCIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 15 || test.Len() != 2 || !train.SampleShape().Equal([]int{3, 32, 32}) ||
		train.Classes() != 10 {
		t.Fatalf("train %d, test %d, shape %v, classes %d", train.Len(), test.Len(),
			train.SampleShape(), train.Classes())
	}
	for _, c := range []struct {
		set   *ImageSet
		first int
	}{{train, 0}, {test, 100}} {
		for i := range c.set.Len() {
			if c.set.Label(i) != (c.first+i)%10 {
				t.Errorf("label %d = %d", i, c.set.Label(i))
			}
			for j, p := range c.set.Pixels(i) {
				if p != byte(c.first+i+j) {
					t.Fatalf("image %d pixel %d = %d, want %d", i, j, p, byte(c.first+i+j))
				}
			}
		}
	}

	// One sample through the normaliser: the red plane comes first.
	if err := train.SetNormalize(CIFAR10Normalize); err != nil {
		t.Fatal(err)
	}
	dst := make([]float32, CIFAR10Image)
	train.Sample(4, dst)
	for _, j := range []int{0, 1024, 2048, 3071} {
		c := j / 1024
		want := (float32(byte(4+j))/255 - CIFAR10Normalize.Mean[c]) / CIFAR10Normalize.Std[c]
		if d := dst[j] - want; d > 1e-6 || d < -1e-6 {
			t.Errorf("value %d = %v, want %v", j, dst[j], want)
		}
	}
}

func TestCIFARErrors(t *testing.T) {
	valid := cifarFile(0, 3)
	badLabel := cifarFile(0, 3)
	badLabel[2*CIFAR10Record] = 10
	tests := []struct {
		name   string
		file   []byte
		kind   error
		where  string
		detail string
	}{
		{"empty", nil, ErrCorrupt, "at byte 0", "no records: want records of 3073 bytes"},
		{"cut in first", valid[:100], ErrTruncated, "truncated at byte 100",
			"want 0+3073 bytes for record 0"},
		{"cut in last", valid[:len(valid)-1], ErrTruncated, "truncated at byte 9218",
			"want 6146+3073 bytes for record 2"},
		{"bad label", badLabel, ErrCorrupt, "at byte 6146", "label 10 of record 2 is not below 10"},
	}
	for _, tt := range tests {
		for _, compress := range []bool{false, true} {
			file, stream := tt.file, ""
			if compress {
				file, stream = gzipped(t, file), " of the decompressed stream"
			}
			want := "data: f: " + tt.where + stream + ": " + tt.detail
			s, err := memSource("f", file)
			if err == nil {
				_, _, err = decodeCIFAR(s, nil, nil)
			}
			if !errors.Is(err, tt.kind) || err.Error() != want {
				t.Errorf("%s, gzip %v: error\n%v\nwant\n%s", tt.name, compress, err, want)
			}
		}
	}
}

func TestLoadCIFAR10MissingFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, CIFAR10TrainFiles()[0], cifarFile(0, 1))
	_, _, err := LoadCIFAR10(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, CIFAR10TrainFiles()[1])) {
		t.Fatalf("error %v, want one naming %s", err, CIFAR10TrainFiles()[1])
	}
}

func TestReadCIFAR10ErrorNamesFile(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "good.bin", cifarFile(0, 2))
	bad := writeFile(t, dir, "bad.bin", cifarFile(0, 2)[:5000])
	_, err := ReadCIFAR10(good, bad)
	want := fmt.Sprintf("data: %s: truncated at byte 5000: want 3073+3073 bytes for record 1", bad)
	if !errors.Is(err, ErrTruncated) || err.Error() != want {
		t.Fatalf("error %v\nwant %s", err, want)
	}
	if _, err := ReadCIFAR10(); !errors.Is(err, ErrConfig) {
		t.Errorf("no files: error %v", err)
	}
}

func FuzzCIFAR(f *testing.F) {
	valid := cifarFile(0, 2)
	z := gzipped(f, valid)
	f.Add(valid)
	f.Add(z)
	for _, cut := range []int{0, 1, 3072, 3073, 3074, len(valid) - 1} {
		f.Add(valid[:cut])
	}
	for _, cut := range []int{2, 10, len(z) / 2, len(z) - 8, len(z) - 1} {
		f.Add(z[:cut])
	}
	bad := append([]byte(nil), valid...)
	bad[CIFAR10Record] = 200
	f.Add(bad)
	flipped := append([]byte(nil), z...)
	flipped[len(z)/2] ^= 0x40
	f.Add(flipped)

	f.Fuzz(func(t *testing.T, file []byte) {
		s, err := memSource("fuzz", file)
		var pix, labels []uint8
		if err == nil {
			pix, labels, err = decodeCIFAR(s, nil, nil)
		}
		if err != nil {
			checkFuzzError(t, err, file)
			return
		}
		if len(labels) == 0 || len(pix) != len(labels)*CIFAR10Image {
			t.Fatalf("%d pixels for %d labels", len(pix), len(labels))
		}
		for i, l := range labels {
			if l >= 10 {
				t.Fatalf("label %d = %d accepted", i, l)
			}
		}
	})
}

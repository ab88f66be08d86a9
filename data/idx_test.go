package data

import (
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestReadMNISTRawAndGzip(t *testing.T) {
	dir := t.TempDir()
	images := idxImagesFile(3, 2, 3)
	labels := idxLabelsFile(9, 0, 4)

	for _, compress := range []bool{false, true} {
		im, lb := images, labels
		if compress {
			im, lb = gzipped(t, images), gzipped(t, labels)
		}
		// Names say nothing about compression: the magic bytes decide.
		imPath := writeFile(t, dir, "images.bin", im)
		lbPath := writeFile(t, dir, "labels.bin", lb)

		set, err := ReadMNIST(imPath, lbPath)
		if err != nil {
			t.Fatalf("gzip %v: %v", compress, err)
		}
		if set.Len() != 3 || set.Classes() != 10 ||
			!set.SampleShape().Equal([]int{1, 2, 3}) {
			t.Fatalf("gzip %v: len %d classes %d shape %v", compress, set.Len(),
				set.Classes(), set.SampleShape())
		}
		for i, want := range []int{9, 0, 4} {
			if set.Label(i) != want {
				t.Errorf("gzip %v: label %d = %d, want %d", compress, i, set.Label(i), want)
			}
			for j, p := range set.Pixels(i) {
				if p != byte(7*i+j) {
					t.Fatalf("gzip %v: image %d pixel %d = %d, want %d", compress, i, j, p,
						byte(7*i+j))
				}
			}
		}
	}
}

func TestIDXImagesErrors(t *testing.T) {
	valid := idxImagesFile(4, 3, 5) // 16 + 4×15 = 76 bytes
	withHeader := func(magic, count, rows, cols uint32, body int) []byte {
		b := binary.BigEndian.AppendUint32(nil, magic)
		b = binary.BigEndian.AppendUint32(b, count)
		b = binary.BigEndian.AppendUint32(b, rows)
		b = binary.BigEndian.AppendUint32(b, cols)
		return append(b, make([]byte, body)...)
	}

	tests := []struct {
		name string
		file []byte
		kind error
		want string
	}{
		{"empty", nil, ErrTruncated,
			"data: f: truncated at byte 0: want 0+16 bytes for the IDX image header"},
		{"short header", valid[:11], ErrTruncated,
			"data: f: truncated at byte 11: want 0+16 bytes for the IDX image header"},
		{"label file", idxLabelsFile(1, 2), ErrCorrupt,
			"data: f: at byte 0: magic number 0x00000801, want 0x00000803 (IDX images); " +
				"this is an IDX label file"},
		{"float IDX", withHeader(0x00000d03, 1, 1, 1, 4), ErrCorrupt,
			"IDX element type 0x0d is not supported"},
		{"not IDX", append([]byte("GIF89a"), valid[6:]...), ErrCorrupt, "this is not an IDX file"},
		{"no images", withHeader(IDXImagesMagic, 0, 28, 28, 0), ErrCorrupt,
			"data: f: at byte 4: the header declares no images"},
		{"zero rows", withHeader(IDXImagesMagic, 1, 0, 28, 0), ErrCorrupt,
			"data: f: at byte 8: the header declares images of 0×28 pixels"},
		{"huge images", withHeader(IDXImagesMagic, 1, 1<<16, 1<<16, 0), ErrCorrupt,
			"images of 65536×65536 pixels"},
		{"overflowing size", withHeader(IDXImagesMagic, 1, 0xf0000000, 0xf0000000, 0),
			ErrCorrupt, "images of 4026531840×4026531840 pixels"},
		{"first image cut", valid[:20], ErrTruncated,
			"data: f: truncated at byte 20: want 16+15 bytes for image 0 (the header declares 4)"},
		{"last image cut", valid[:75], ErrTruncated,
			"data: f: truncated at byte 75: want 61+15 bytes for image 3 (the header declares 4)"},
		{"trailing bytes", append(valid[:76:76], 1, 2), ErrCorrupt,
			"data: f: at byte 76: 2 unexpected bytes after the last image (the header declares 4)"},
	}
	for _, tt := range tests {
		s, err := memSource("f", tt.file)
		if err == nil {
			_, err = decodeIDXImages(s)
		}
		if !errors.Is(err, tt.kind) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.kind)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error\n%v\nwant it to contain\n%s", tt.name, err, tt.want)
		}
	}
}

func TestIDXGzipTruncatedNamesDecompressedOffset(t *testing.T) {
	valid := idxImagesFile(4, 3, 5)
	s, err := memSource("f.gz", gzipped(t, valid[:50]))
	if err != nil {
		t.Fatal(err)
	}
	_, err = decodeIDXImages(s)
	want := "data: f.gz: truncated at byte 50 of the decompressed stream: " +
		"want 46+15 bytes for image 2 (the header declares 4)"
	if !errors.Is(err, ErrTruncated) || err.Error() != want {
		t.Fatalf("error\n%v\nwant\n%s", err, want)
	}
	if fe := fileError(t, err); fe.Offset != 50 || !fe.Gzip {
		t.Errorf("offset %d gzip %v, want 50 true", fe.Offset, fe.Gzip)
	}

	// Trailing data inside the compressed stream is found after reading.
	s, err = memSource("f.gz", gzipped(t, append(valid[:76:76], 0)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err = decodeIDXImages(s); !errors.Is(err, ErrCorrupt) ||
		!strings.Contains(err.Error(), "at byte 76 of the decompressed stream: unexpected bytes") {
		t.Errorf("trailing byte: error %v", err)
	}
}

// A header may declare terabytes; the reader must not believe it before the
// bytes arrive, compressed or not.
func TestIDXLyingHeaderAllocatesLittle(t *testing.T) {
	b := binary.BigEndian.AppendUint32(nil, IDXImagesMagic)
	b = binary.BigEndian.AppendUint32(b, 0xffffffff)
	b = binary.BigEndian.AppendUint32(b, 1<<12)
	b = binary.BigEndian.AppendUint32(b, 1<<12)
	b = append(b, make([]byte, 5000)...)

	for _, file := range [][]byte{b, gzipped(t, b)} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, err := memSource("f", file)
		if err == nil {
			_, err = decodeIDXImages(s)
		}
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("error %v, want truncated", err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
			t.Errorf("allocated %d bytes for a %d-byte file", got, len(file))
		}
	}
}

func TestIDXLabelsErrors(t *testing.T) {
	tests := []struct {
		name string
		file []byte
		kind error
		want string
	}{
		{"short header", idxLabelsFile(1)[:7], ErrTruncated,
			"data: f: truncated at byte 7: want 0+8 bytes for the IDX label header"},
		{"image file", idxImagesFile(1, 1, 1), ErrCorrupt,
			"magic number 0x00000803, want 0x00000801 (IDX labels); this is an IDX image file"},
		{"no labels", idxLabelsFile(), ErrCorrupt, "at byte 4: the header declares no labels"},
		{"cut", idxLabelsFile(1, 2, 3)[:10], ErrTruncated,
			"data: f: truncated at byte 10: want 10+1 bytes for label 2 (the header declares 3)"},
		{"not a digit", idxLabelsFile(1, 2, 10, 3), ErrCorrupt,
			"data: f: at byte 10: label 10 of sample 2 is not a digit"},
	}
	for _, tt := range tests {
		s, err := memSource("f", tt.file)
		if err == nil {
			_, err = decodeIDXLabels(s)
		}
		if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error\n%v\nwant %v containing\n%s", tt.name, err, tt.kind, tt.want)
		}
	}
}

func TestReadMNISTCountMismatch(t *testing.T) {
	dir := t.TempDir()
	im := writeFile(t, dir, "im", idxImagesFile(3, 2, 2))
	lb := writeFile(t, dir, "lb", idxLabelsFile(1, 2))
	_, err := ReadMNIST(im, lb)
	want := "data: " + lb + ": at byte 4: the header declares 2 labels but " + im +
		" holds 3 images"
	if !errors.Is(err, ErrCorrupt) || err.Error() != want {
		t.Fatalf("error %v\nwant %s", err, want)
	}
}

func TestReadMNISTMissingFile(t *testing.T) {
	dir := t.TempDir()
	lb := writeFile(t, dir, "lb", idxLabelsFile(1))
	_, err := ReadMNIST(dir+"/nothing", lb)
	if err == nil || !strings.HasPrefix(err.Error(), "data: open ") {
		t.Fatalf("error %v, want an open error", err)
	}
}

// checkFuzzError checks what every reader error must be: a *FileError
// naming the file, with an offset inside what was read.
func checkFuzzError(t *testing.T, err error, file []byte) {
	t.Helper()
	fe := fileError(t, err)
	if fe.File != "fuzz" || !strings.HasPrefix(err.Error(), "data: fuzz: ") {
		t.Fatalf("error %q does not name the file", err)
	}
	if fe.Offset < 0 || (!fe.Gzip && fe.Offset > int64(len(file))) {
		t.Fatalf("error %q: offset %d outside a %d-byte file", err, fe.Offset, len(file))
	}
	if !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %q is neither truncated nor corrupt", err)
	}
}

// idxSeeds adds valid files, compressed and not, and damaged copies of
// them to the corpus.
func idxSeeds(f *testing.F, valid []byte) {
	z := gzipped(f, valid)
	f.Add(valid)
	f.Add(z)
	for _, cut := range []int{0, 1, 4, 7, 8, 15, 16, len(valid) / 2, len(valid) - 1} {
		f.Add(valid[:cut])
	}
	for _, cut := range []int{2, 10, len(z) / 2, len(z) - 8, len(z) - 1} {
		f.Add(z[:cut])
	}
	for _, at := range []int{2, 3, 7, 11, len(valid) - 1} {
		b := append([]byte(nil), valid...)
		b[at] ^= 0xff
		f.Add(b)
	}
	for _, at := range []int{3, len(z) / 2, len(z) - 6, len(z) - 2} {
		b := append([]byte(nil), z...)
		b[at] ^= 0x55
		f.Add(b)
	}
	f.Add(append(append([]byte(nil), valid...), 0))
	f.Add(append(append([]byte(nil), z...), z...))
}

func FuzzIDXImages(f *testing.F) {
	idxSeeds(f, idxImagesFile(3, 2, 3))
	f.Fuzz(func(t *testing.T, file []byte) {
		s, err := memSource("fuzz", file)
		var im *idxImages
		if err == nil {
			im, err = decodeIDXImages(s)
		}
		if err != nil {
			checkFuzzError(t, err, file)
			return
		}
		if len(im.pix) != im.count*im.rows*im.cols || im.count == 0 {
			t.Fatalf("%d pixels for %d images of %d×%d", len(im.pix), im.count, im.rows, im.cols)
		}
	})
}

func FuzzIDXLabels(f *testing.F) {
	idxSeeds(f, idxLabelsFile(3, 1, 4, 1, 5, 9, 2, 6))
	f.Fuzz(func(t *testing.T, file []byte) {
		s, err := memSource("fuzz", file)
		var labels []uint8
		if err == nil {
			labels, err = decodeIDXLabels(s)
		}
		if err != nil {
			checkFuzzError(t, err, file)
			return
		}
		for i, l := range labels {
			if l >= 10 {
				t.Fatalf("label %d = %d accepted", i, l)
			}
		}
	})
}

package pipeline

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// wantFileError fails unless err is a *data.FileError of the given kind
// naming file at offset, and its message says both.
func wantFileError(t *testing.T, err error, kind error, file string, offset int64) {
	t.Helper()
	fe := fileError(t, err)
	if !errors.Is(err, kind) || fe.File != file || fe.Offset != offset {
		t.Fatalf("error %v: want %v in %s at byte %d", err, kind, file, offset)
	}
	if !strings.Contains(err.Error(), file) ||
		!strings.Contains(err.Error(), fmt.Sprintf("byte %d", offset)) {
		t.Fatalf("message %q does not name the file and the offset", err)
	}
}

func TestOpenCIFAR10Errors(t *testing.T) {
	paths := cifarFiles(t, 20, 3, 4)
	if err := os.Truncate(paths[1], 3*data.CIFAR10Record+100); err != nil {
		t.Fatal(err)
	}
	_, err := OpenCIFAR10(paths, "")
	wantFileError(t, err, data.ErrTruncated, paths[1], 3*data.CIFAR10Record+100)

	if err := os.Truncate(paths[1], 0); err != nil {
		t.Fatal(err)
	}
	_, err = OpenCIFAR10(paths, "")
	wantFileError(t, err, data.ErrCorrupt, paths[1], 0)

	if _, err := OpenCIFAR10(nil, ""); !errors.Is(err, ErrConfig) {
		t.Errorf("no files: %v, want ErrConfig", err)
	}
	missing := filepath.Join(t.TempDir(), "nothing.bin")
	if _, err := OpenCIFAR10([]string{missing}, ""); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want ErrNotExist", err)
	}
}

// TestTruncatedWhileReading truncates a file the pipeline is reading and
// wants the consumer's next calls to name the file and where it now ends.
func TestTruncatedWhileReading(t *testing.T) {
	paths := cifarFiles(t, 21, 60, 60)
	src := openCIFAR(t, paths...)
	p := newPipeline(t, src, Config{BatchSize: 10, Shuffle: true, Seed: 1, Threads: 2})
	take(t, p, 1)

	cut := int64(20*data.CIFAR10Record + 999)
	if err := os.Truncate(paths[1], cut); err != nil {
		t.Fatal(err)
	}
	var x, y tensor.Tensor
	var err error
	for range 2 * p.BatchesPerEpoch() {
		if _, err = p.Next(&x, &y); err != nil {
			break
		}
	}
	wantFileError(t, err, data.ErrTruncated, paths[1], cut)
	if !strings.HasPrefix(err.Error(), "pipeline: read epoch ") {
		t.Errorf("message %q does not say which batch", err)
	}
	pos := p.Position()
	if _, again := p.Next(&x, &y); again != err || p.Position() != pos {
		t.Errorf("second call: %v at %v, want the same error at %v", again, p.Position(), pos)
	}
}

// TestCorruptLabel puts label 12 into record 5 of the second file.
func TestCorruptLabel(t *testing.T) {
	paths := cifarFiles(t, 22, 10, 10)
	f, err := os.OpenFile(paths[1], os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{12}, 5*data.CIFAR10Record); err != nil {
		t.Fatal(err)
	}
	f.Close()

	p := newPipeline(t, openCIFAR(t, paths...), Config{BatchSize: 4})
	var x, y tensor.Tensor
	for b := range 3 {
		if _, err := p.Next(&x, &y); err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
	}
	_, err = p.Next(&x, &y) // samples 12 to 15: record 2 to 5 of the second file
	wantFileError(t, err, data.ErrCorrupt, paths[1], 5*data.CIFAR10Record)
	if !strings.Contains(err.Error(), "label 12 of record 5") {
		t.Errorf("message %q does not name the label and the record", err)
	}
}

func TestReadRecordsRange(t *testing.T) {
	src := openCIFAR(t, cifarFiles(t, 23, 5)...)
	buf := make([]byte, 10*data.CIFAR10Record)
	for _, r := range [][2]int{{-1, 1}, {4, 2}, {0, 6}, {3, -1}} {
		if err := src.ReadRecords(r[0], r[1], buf); !errors.Is(err, ErrConfig) {
			t.Errorf("records %d+%d of 5: %v, want ErrConfig", r[0], r[1], err)
		}
	}
	if err := src.ReadRecords(0, 5, buf[:100]); !errors.Is(err, ErrConfig) {
		t.Errorf("5 records into 100 bytes: %v, want ErrConfig", err)
	}
}

// rawMNIST returns the real MNIST files of the GoMNIST module and a cache
// folder to decompress them into.
func rawMNIST(t *testing.T) (dir, cache string) {
	t.Helper()
	dir, err := data.GoMNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir, t.TempDir()
}

// TestMNISTMatchesLoader reads the real MNIST files, gzip-compressed as
// GoMNIST ships them, through a cache folder, and wants the batches of
// data.Loader over data.LoadMNIST: the whole shuffled test set, and the
// first batches of the training set.
func TestMNISTMatchesLoader(t *testing.T) {
	dir, cache := rawMNIST(t)
	train, test, err := OpenMNISTDir(dir, cache)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { train.Close(); test.Close() }) // after the pipelines close
	if train.Len() != 60000 || test.Len() != 10000 ||
		!test.ImageShape().Equal(tensor.Shape{1, 28, 28}) {
		t.Fatalf("%d and %d images of %v", train.Len(), test.Len(), test.ImageShape())
	}
	setTrain, setTest, err := data.LoadMNIST(dir)
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		src     Source
		set     data.Dataset
		batches int
	}{{test, setTest, 0}, {train, setTrain, 5}} {
		cfg := Config{BatchSize: 128, Shuffle: true, Seed: 3, Threads: 2,
			Scale: []float32{1.0 / 255}}
		p := newPipeline(t, tc.src, cfg)
		loader, err := data.NewLoader(tc.set, data.LoaderConfig{BatchSize: 128,
			Shuffle: true, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		batches := tc.batches
		if batches == 0 {
			batches = p.BatchesPerEpoch()
		}
		var x, y, lx, ly tensor.Tensor
		for range batches {
			pos, err := p.Next(&x, &y)
			if err != nil {
				t.Fatal(err)
			}
			if lpos := loader.Next(&lx, &ly); lpos != pos {
				t.Fatalf("batch at %v, the loader's at %v", pos, lpos)
			}
			if !slices.Equal(y.Data, ly.Data) || !x.Shape.Equal(lx.Shape) {
				t.Fatalf("%v: labels or shape differ from the loader's", pos)
			}
			for i, v := range lx.Data {
				if math.Abs(float64(x.Data[i]-v)) > 1e-6 {
					t.Fatalf("%v: x[%d] = %v, the loader's %v", pos, i, x.Data[i], v)
				}
			}
		}
	}

	// A second opening finds the decompressed copies and makes no more.
	entries, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := OpenMNISTDir(dir, cache)
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	after, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 || len(after) != 4 {
		t.Errorf("cache holds %d files, then %d; want the 4 decompressed files", len(entries),
			len(after))
	}
}

// idxFiles writes an IDX image file of count rows×cols images and a label
// file, both raw, and returns their paths.
func idxFiles(t *testing.T, count, rows, cols int) (images, labels string) {
	t.Helper()
	b := binary.BigEndian.AppendUint32(nil, data.IDXImagesMagic)
	b = binary.BigEndian.AppendUint32(b, uint32(count))
	b = binary.BigEndian.AppendUint32(b, uint32(rows))
	b = binary.BigEndian.AppendUint32(b, uint32(cols))
	l := binary.BigEndian.AppendUint32(nil, data.IDXLabelsMagic)
	l = binary.BigEndian.AppendUint32(l, uint32(count))
	for i := range count {
		for j := range rows * cols {
			b = append(b, byte(3*i+j))
		}
		l = append(l, byte(i%10))
	}
	dir := t.TempDir()
	images = filepath.Join(dir, "images-idx3-ubyte")
	labels = filepath.Join(dir, "labels-idx1-ubyte")
	if err := os.WriteFile(images, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(labels, l, 0o644); err != nil {
		t.Fatal(err)
	}
	return images, labels
}

// patch overwrites bytes of a file at off.
func patch(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

func TestOpenIDXErrors(t *testing.T) {
	const header = idxImagesHead
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, images, labels string)
		kind   error
		labels bool // the error is about the label file
		offset int64
		says   string
	}{
		{"truncated images", func(t *testing.T, images, _ string) {
			os.Truncate(images, header+7*6+5)
		}, data.ErrTruncated, false, header + 7*6 + 5, "want 58+6 bytes for image 7"},
		{"short header", func(t *testing.T, images, _ string) {
			os.Truncate(images, 9)
		}, data.ErrTruncated, false, 9, "IDX image header"},
		{"trailing bytes", func(t *testing.T, images, _ string) {
			patch(t, images, header+10*6, []byte{1, 2})
		}, data.ErrCorrupt, false, header + 10*6, "2 unexpected bytes"},
		{"labels for images", func(t *testing.T, images, labels string) {
			os.Rename(labels, images)
		}, data.ErrCorrupt, false, 0, "this is an IDX label file"},
		{"no images", func(t *testing.T, images, _ string) {
			patch(t, images, 4, []byte{0, 0, 0, 0})
		}, data.ErrCorrupt, false, 4, "declares no images"},
		{"huge images", func(t *testing.T, images, _ string) {
			patch(t, images, 8, []byte{0, 1, 0, 0, 0, 1, 0, 0})
		}, data.ErrCorrupt, false, 8, "65536×65536"},
		{"label count", func(t *testing.T, _, labels string) {
			patch(t, labels, 4, []byte{0, 0, 0, 9})
		}, data.ErrCorrupt, true, 4, "declares 9 labels"},
		{"label not a digit", func(t *testing.T, _, labels string) {
			patch(t, labels, idxLabelsHead+6, []byte{10})
		}, data.ErrCorrupt, true, idxLabelsHead + 6, "label 10 of sample 6"},
		{"truncated labels", func(t *testing.T, _, labels string) {
			os.Truncate(labels, idxLabelsHead+4)
		}, data.ErrTruncated, true, idxLabelsHead + 4, "label 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			images, labels := idxFiles(t, 10, 2, 3)
			tc.change(t, images, labels)
			_, err := OpenIDX(images, labels, "")
			file := images
			if tc.labels {
				file = labels
			}
			wantFileError(t, err, tc.kind, file, tc.offset)
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("message %q does not say %q", err, tc.says)
			}
		})
	}
}

// TestIDXTruncatedWhileReading cuts the image file under a running
// pipeline.
func TestIDXTruncatedWhileReading(t *testing.T) {
	images, labels := idxFiles(t, 100, 4, 4)
	src, err := OpenIDX(images, labels, "")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	p := newPipeline(t, src, Config{BatchSize: 10})
	take(t, p, 1)

	cut := int64(idxImagesHead + 50*16 + 3)
	if err := os.Truncate(images, cut); err != nil {
		t.Fatal(err)
	}
	var x, y tensor.Tensor
	for range p.BatchesPerEpoch() {
		if _, err = p.Next(&x, &y); err != nil {
			break
		}
	}
	wantFileError(t, err, data.ErrTruncated, images, cut)
	// Which image the error names depends on how far the stages had read
	// ahead when the file was cut.
	if !strings.Contains(err.Error(), "bytes for image ") {
		t.Errorf("message %q does not name the image", err)
	}
}

func TestGzip(t *testing.T) {
	images, labels := idxFiles(t, 30, 3, 3)
	raw, err := os.ReadFile(images)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(raw)
	w.Close()
	gz := images + ".gz"
	if err := os.WriteFile(gz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := OpenIDX(gz, labels, ""); !errors.Is(err, ErrCompressed) ||
		!strings.Contains(err.Error(), gz) {
		t.Errorf("gzip without a cache: %v, want ErrCompressed naming the file", err)
	}

	cache := filepath.Join(t.TempDir(), "cache")
	src, err := OpenIDX(gz, labels, cache)
	if err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, 9)
	if err := src.ReadRecords(29, 1, rec); err != nil || !bytes.Equal(rec, raw[16+29*9:]) {
		t.Errorf("last image %v (%v), want %v", rec, err, raw[16+29*9:])
	}
	src.Close()

	// A damaged stream names the compressed file and says the offset is in
	// the decompressed stream.
	damaged := slices.Clone(buf.Bytes())
	damaged[len(damaged)-6] ^= 0xff // the CRC-32 of the contents
	if err := os.WriteFile(gz, damaged, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OpenIDX(gz, labels, cache)
	fe := fileError(t, err)
	if !errors.Is(err, data.ErrCorrupt) || fe.File != gz || !fe.Gzip ||
		fe.Offset != int64(len(raw)) || !strings.Contains(err.Error(), "decompressed stream") {
		t.Errorf("damaged checksum: %v", err)
	}

	if err := os.WriteFile(gz, buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = OpenIDX(gz, labels, cache)
	if fe := fileError(t, err); !errors.Is(err, data.ErrTruncated) || !fe.Gzip {
		t.Errorf("half a gzip file: %v", err)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 1 {
		t.Errorf("cache holds %d files, want the one good copy", len(entries))
	}
}

// TestMeans compares the channel means with data.ImageSet.Stats and the
// mean image with a direct sum.
func TestMeans(t *testing.T) {
	paths := cifarFiles(t, 24, 300, 20)
	set, err := data.ReadCIFAR10(paths...)
	if err != nil {
		t.Fatal(err)
	}
	image, channels, err := Means(openCIFAR(t, paths...))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := set.Stats()
	for c := range 3 {
		if math.Abs(float64(channels[c]/255-want[c])) > 1e-6 {
			t.Errorf("channel %d mean %v, Stats says %v", c, channels[c]/255, want[c])
		}
	}
	for _, j := range []int{0, 77, data.CIFAR10Image - 1} {
		var sum float64
		for i := range set.Len() {
			sum += float64(set.Pixels(i)[j])
		}
		if got, want := image[j], float32(sum/float64(set.Len())); got != want {
			t.Errorf("mean image[%d] = %v, want %v", j, got, want)
		}
	}
}

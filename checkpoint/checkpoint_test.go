package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/tensor"
)

// sample returns a checkpoint with tensors of several ranks, an empty one,
// a scalar, values that float formatting would spoil (NaN, infinities,
// -0, subnormals) and metadata.
func sample(t testing.TB) *Checkpoint {
	t.Helper()
	c := New()
	add := func(name string, shape tensor.Shape, fill func(i int) float32) {
		data := make([]float32, shape.Size())
		for i := range data {
			data[i] = fill(i)
		}
		tt, err := tensor.FromData(shape, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Add(name, tt); err != nil {
			t.Fatal(err)
		}
	}
	add("conv1.weight", tensor.Shape{4, 3, 2, 2}, func(i int) float32 { return float32(i)/7 - 3 })
	add("conv1.bias", tensor.Shape{4}, func(i int) float32 { return float32(i) })
	add("special", tensor.Shape{6}, func(i int) float32 {
		return []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
			float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.MaxFloat32}[i]
	})
	add("empty", tensor.Shape{0, 3}, nil)
	add("lr", tensor.Shape{}, func(int) float32 { return 0.01 })
	add(`quote"d/ünï`, tensor.Shape{1, 1}, func(int) float32 { return -1 })
	c.Metadata["step"] = "1200"
	c.Metadata["data.position"] = "3:17"
	c.Metadata["note"] = "π ≈ 3.14159"
	return c
}

// sameCheckpoint reports how a and b differ, comparing values bit for bit.
func sameCheckpoint(t testing.TB, got, want *Checkpoint) {
	t.Helper()
	if !slices.Equal(got.Names, want.Names) {
		t.Fatalf("names %q, want %q", got.Names, want.Names)
	}
	if len(got.Tensors) != len(want.Tensors) {
		t.Fatalf("%d tensors, want %d", len(got.Tensors), len(want.Tensors))
	}
	for _, name := range want.Names {
		g, w := got.Tensors[name], want.Tensors[name]
		if g == nil || !g.Shape.Equal(w.Shape) || len(g.Data) != len(w.Data) {
			t.Fatalf("tensor %q: got %v, want shape %v", name, g, w.Shape)
		}
		for i := range w.Data {
			if math.Float32bits(g.Data[i]) != math.Float32bits(w.Data[i]) {
				t.Fatalf("tensor %q value %d: %v, want %v", name, i, g.Data[i], w.Data[i])
			}
		}
	}
	if len(got.Metadata) != len(want.Metadata) {
		t.Fatalf("metadata %v, want %v", got.Metadata, want.Metadata)
	}
	for k, v := range want.Metadata {
		if got.Metadata[k] != v {
			t.Fatalf("metadata %q = %q, want %q", k, got.Metadata[k], v)
		}
	}
}

// encoded returns c in the safetensors format.
func encoded(t testing.TB, c *Checkpoint) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeBytes decodes b under the name "f".
func decodeBytes(b []byte) (*Checkpoint, error) {
	return Decode("f", bytes.NewReader(b), int64(len(b)))
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.safetensors")
	want := sample(t)
	if err := Write(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	sameCheckpoint(t, got, want)

	// Overwriting replaces the contents and leaves no temporary file.
	smaller := New()
	if err := smaller.Add("x", tensor.New(2)); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, smaller); err != nil {
		t.Fatal(err)
	}
	got, err = Read(path)
	if err != nil {
		t.Fatal(err)
	}
	sameCheckpoint(t, got, smaller)
	if items, _ := os.ReadDir(filepath.Dir(path)); len(items) != 1 {
		t.Errorf("directory holds %d files, want 1", len(items))
	}
}

// The exact bytes of a small file: length prefix, header in the given
// order, spaces up to a multiple of 8, little-endian float32.
func TestEncodeLayout(t *testing.T) {
	c := New()
	b, _ := tensor.FromData(tensor.Shape{1}, []float32{1.5})
	a, _ := tensor.FromData(tensor.Shape{2}, []float32{-2, 0.25})
	if err := c.Add("b", b); err != nil {
		t.Fatal(err)
	}
	if err := c.Add("a", a); err != nil {
		t.Fatal(err)
	}
	c.Metadata["k"] = "v"

	header := `{"__metadata__":{"k":"v"},` +
		`"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},` +
		`"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`
	header += strings.Repeat(" ", (8-len(header)%8)%8)
	want := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	want = append(want, header...)
	for _, v := range []uint32{0x3fc00000, 0xc0000000, 0x3e800000} {
		want = binary.LittleEndian.AppendUint32(want, v)
	}
	if got := encoded(t, c); !bytes.Equal(got, want) {
		t.Fatalf("encoded\n%q\nwant\n%q", got, want)
	}
}

func TestWriteRejectsInvalid(t *testing.T) {
	one := tensor.New(1)
	type tensors = map[string]*tensor.Tensor
	cases := map[string]*Checkpoint{
		"duplicate name":  {Names: []string{"a", "a"}, Tensors: tensors{"a": one}},
		"missing tensor":  {Names: []string{"a"}, Tensors: tensors{}},
		"unlisted tensor": {Names: []string{"a"}, Tensors: tensors{"a": one, "b": one}},
		"reserved name":   {Names: []string{metadataKey}, Tensors: tensors{metadataKey: one}},
		"empty name":      {Names: []string{""}, Tensors: tensors{"": one}},
		"short data": {Names: []string{"a"},
			Tensors: tensors{"a": {Shape: tensor.Shape{3}, Data: []float32{1}}}},
		"bad utf-8":    {Names: []string{"a\xff"}, Tensors: tensors{"a\xff": one}},
		"bad metadata": {Metadata: map[string]string{"k": "\xfe"}},
	}
	for name, c := range cases {
		dir := t.TempDir()
		err := Write(filepath.Join(dir, "x.safetensors"), c)
		if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "checkpoint: ") {
			t.Errorf("%s: error %v, want ErrInvalid", name, err)
		}
		if items, _ := os.ReadDir(dir); len(items) != 0 {
			t.Errorf("%s: a failed Write left %d files", name, len(items))
		}
	}
	if err := New().Add("a", one); err != nil {
		t.Error(err)
	}
	c := New()
	c.Add("a", one)
	if err := c.Add("a", one); !errors.Is(err, ErrInvalid) {
		t.Errorf("adding a name twice: %v", err)
	}
}

// file builds a checkpoint file from a header and a data section.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestDecodeErrors(t *testing.T) {
	data8 := make([]byte, 8)
	t1 := func(offsets string) string {
		return `"t":{"dtype":"F32","shape":[1],"data_offsets":` + offsets + `}`
	}
	tests := []struct {
		name string
		file []byte
		kind error
		want string // the message, from the file name on
	}{
		{"no header length", []byte{1, 2, 3}, ErrTruncated,
			"f: truncated at byte 3: want an 8-byte header length"},
		{"header past the end", file(`{}`, nil)[:9], ErrTruncated,
			"f: truncated at byte 9: the header length at byte 0 says 2 bytes of header follow, " +
				"the file holds 1"},
		{"forged header length", binary.LittleEndian.AppendUint64(nil, 1<<40), ErrCorrupt,
			"f: at byte 0: header length 1099511627776 exceeds the limit of 104857600"},
		{"not an object", file(`[1,2]`, nil), ErrCorrupt,
			"f: at byte 9: header: want a JSON object"},
		{"F16", file(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, data8[:4]),
			ErrUnsupported, `f: tensor "h": at byte 9: dtype "F16" is not supported: ` +
				"Mariana reads F32 tensors only"},
		{"size mismatch", file(`{`+t1(`[0,8]`)+`}`, data8), ErrCorrupt,
			`f: tensor "t": at byte 9: header: shape [1] needs 4 bytes of F32, ` +
				"data_offsets [0, 8] hold 8"},
		{"overlap", file(`{`+t1(`[0,4]`)+`,"u":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`,
			data8[:4]), ErrCorrupt, "overlaps the one before it"},
		{"gap", file(`{`+t1(`[4,8]`)+`}`, data8), ErrCorrupt,
			`f: tensor "t": at byte 62: 4 bytes before the tensor belong to no tensor`},
		{"trailing bytes", file(`{`+t1(`[0,4]`)+`}`, data8), ErrCorrupt,
			"f: at byte 66: 4 bytes after the last tensor"},
		{"past the end", file(`{`+t1(`[4,8]`)+`}`, data8[:5]), ErrTruncated,
			`f: tensor "t": truncated at byte 67: the tensor needs bytes 66 to 70, ` +
				"the file ends first"},
		{"reversed range", file(`{"t":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, nil),
			ErrCorrupt, "data_offsets [4, 0] are not a byte range"},
		{"duplicate", file(`{`+t1(`[0,4]`)+`,`+t1(`[4,8]`)+`}`, data8), ErrCorrupt,
			`tensor "t": at byte 62: header: key "t" appears twice`},
		{"unknown field", file(`{"t":{"dtype":"F32","shape":[],"data_offsets":[0,4],"x":1}}`,
			data8[:4]), ErrCorrupt, `header: unknown field "x"`},
		{"field case", file(`{"t":{"DTYPE":"F32","shape":[],"data_offsets":[0,4]}}`, data8[:4]),
			ErrCorrupt, `header: unknown field "DTYPE"`},
		{"no dtype", file(`{"t":{"shape":[],"data_offsets":[0,4]}}`, data8[:4]), ErrCorrupt,
			"dtype must be a string"},
		{"fractional dim", file(`{"t":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`,
			data8[:4]), ErrCorrupt, "shape must be an array of integers"},
		{"negative dim", file(`{"t":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}`,
			data8), ErrCorrupt, "shape [-1 -4] has a negative dimension"},
		{"huge dims", file(`{"t":{"dtype":"F32","shape":[4294967296,4294967296],`+
			`"data_offsets":[0,4]}}`, data8[:4]), ErrCorrupt, "is too large"},
		{"three offsets", file(`{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`,
			data8[:4]), ErrCorrupt, "data_offsets must be two integers"},
		{"metadata numbers", file(`{"__metadata__":{"a":1}}`, nil), ErrCorrupt,
			"__metadata__ must map strings to strings"},
		{"second object", file(`{} {}`, nil), ErrCorrupt,
			"header: unexpected content after the JSON object"},
		{"garbage after", file(`{}x`, nil), ErrCorrupt, "header: "},
		{"unterminated", file(`{"t":`, nil), ErrCorrupt, "header: "},
		{"empty name", file(`{"":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, data8[:4]),
			ErrCorrupt, "empty tensor name"},
	}
	for _, tt := range tests {
		_, err := decodeBytes(tt.file)
		if !errors.Is(err, tt.kind) {
			t.Errorf("%s: error %v, want %v", tt.name, err, tt.kind)
			continue
		}
		var fe *FormatError
		if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "checkpoint: f: ") ||
			!strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error\n%v\nwant it to contain\n%s", tt.name, err, tt.want)
		}
	}
}

// Other writers need not pad the header, order the header like the data,
// or include metadata.
func TestDecodeForeignLayout(t *testing.T) {
	data := binary.LittleEndian.AppendUint32(nil, math.Float32bits(7))
	data = binary.LittleEndian.AppendUint32(data, math.Float32bits(8))
	c, err := decodeBytes(file(`{"z":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},`+
		`"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, data))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Names, []string{"z", "a"}) || c.Tensors["z"].Data[0] != 8 ||
		c.Tensors["a"].Data[0] != 7 || len(c.Tensors["a"].Shape) != 0 || c.Metadata == nil {
		t.Fatalf("decoded %+v", c)
	}
}

func TestTruncatedAtEveryOffset(t *testing.T) {
	whole := encoded(t, sample(t))
	if _, err := decodeBytes(whole); err != nil {
		t.Fatal(err)
	}
	for cut := range len(whole) {
		_, err := decodeBytes(whole[:cut])
		if !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d of %d: error %v, want truncated", cut, len(whole), err)
		}
	}

	// And on disk, through Read.
	path := filepath.Join(t.TempDir(), "cut.safetensors")
	for _, cut := range []int{0, 7, 8, 100, len(whole) / 2, len(whole) - 1} {
		if err := os.WriteFile(path, whole[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Read(path)
		if !errors.Is(err, ErrTruncated) || !strings.HasPrefix(err.Error(), "checkpoint: "+path) {
			t.Errorf("cut at %d: error %v", cut, err)
		}
	}
}

func TestReadMissing(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "none"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("error %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	whole := encoded(f, sample(f))
	f.Add(whole)
	for _, cut := range []int{0, 4, 8, 20, len(whole) / 2, len(whole) - 1} {
		f.Add(whole[:cut])
	}
	for _, at := range []int{0, 3, 7, 9, 30, 60, len(whole) - 3} {
		b := bytes.Clone(whole)
		b[at] ^= 0x5a
		f.Add(b)
	}
	f.Add(file(`{}`, nil))
	f.Add(file(`{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add(file(`{"t":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)))

	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeBytes(b)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "checkpoint: f: ") {
				t.Fatalf("error %v (%T) does not name the file", err, err)
			}
			if fe.Offset < 0 || fe.Offset > int64(len(b)) {
				t.Fatalf("error %v: offset outside the %d-byte file", err, len(b))
			}
			return
		}
		// Whatever we accept, we can write, and it reads back the same.
		again, err := decodeBytes(encoded(t, c))
		if err != nil {
			t.Fatalf("re-encoding an accepted file: %v", err)
		}
		sameCheckpoint(t, again, c)
	})
}

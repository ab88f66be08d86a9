package checkpoint

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"

	"github.com/mariana-dl/mariana/tensor"
)

// maxHeader bounds the JSON header, as the reference implementation of
// safetensors does, so a forged length cannot make us allocate much.
const maxHeader = 100 << 20

// entry is one tensor as the header describes it.
type entry struct {
	name       string
	at         int64 // byte offset of the entry in the file, for errors
	shape      tensor.Shape
	begin, end int64 // byte range relative to the start of the data
}

// Read reads and strictly checks the checkpoint at path.
func Read(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return Decode(path, f, st.Size())
}

// Decode reads a checkpoint of size bytes from r; name identifies it in
// errors. It accepts exactly the files [Read] accepts.
func Decode(name string, r io.ReaderAt, size int64) (*Checkpoint, error) {
	d := &decoder{name: name, r: r, size: size}
	entries, metadata, err := d.header()
	if err != nil {
		return nil, err
	}
	if err := d.checkLayout(entries); err != nil {
		return nil, err
	}

	c := &Checkpoint{
		Names:    make([]string, len(entries)),
		Tensors:  make(map[string]*tensor.Tensor, len(entries)),
		Metadata: metadata,
	}
	if c.Metadata == nil {
		c.Metadata = make(map[string]string)
	}
	for i, e := range entries {
		t, err := d.tensor(e)
		if err != nil {
			return nil, err
		}
		c.Names[i] = e.name
		c.Tensors[e.name] = t
	}
	return c, nil
}

// decoder holds what every step of Decode needs.
type decoder struct {
	name       string
	r          io.ReaderAt
	size       int64
	headerLen  int64
	dataOffset int64 // 8 + headerLen
}

// fail returns a FormatError.
func (d *decoder) fail(kind error, tensor string, at int64, format string, args ...any) error {
	return &FormatError{File: d.name, Tensor: tensor, Offset: at, Kind: kind,
		Detail: fmt.Sprintf(format, args...)}
}

// header reads the length prefix and parses the JSON header into entries,
// in header order, and metadata.
func (d *decoder) header() ([]entry, map[string]string, error) {
	var prefix [8]byte
	if d.size < 8 {
		return nil, nil, d.fail(ErrTruncated, "", d.size, "want an 8-byte header length")
	}
	if _, err := d.r.ReadAt(prefix[:], 0); err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %s: read at byte 0: %w", d.name, err)
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > maxHeader {
		return nil, nil, d.fail(ErrCorrupt, "", 0, "header length %d exceeds the limit of %d",
			n, maxHeader)
	}
	if int64(n) > d.size-8 {
		return nil, nil, d.fail(ErrTruncated, "", d.size,
			"the header length at byte 0 says %d bytes of header follow, the file holds %d",
			n, d.size-8)
	}
	d.headerLen, d.dataOffset = int64(n), 8+int64(n)

	header := make([]byte, n)
	if _, err := d.r.ReadAt(header, 8); err != nil {
		return nil, nil, fmt.Errorf("checkpoint: %s: read header at byte 8: %w", d.name, err)
	}
	return d.parseHeader(header)
}

// parseHeader walks the JSON object token by token, which keeps the order
// of its keys and sees duplicates.
func (d *decoder) parseHeader(header []byte) ([]entry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(header))
	at := func() int64 { return 8 + dec.InputOffset() }
	bad := func(format string, args ...any) error {
		return d.fail(ErrCorrupt, "", at(), "header: "+format, args...)
	}

	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, bad("want a JSON object")
	}
	var entries []entry
	var metadata map[string]string
	seen := make(map[string]bool)
	for dec.More() {
		// The decoder stands before the comma; errors name the key itself.
		keyAt := dec.InputOffset()
		for keyAt < int64(len(header)) && bytes.IndexByte([]byte(", \t\r\n"), header[keyAt]) >= 0 {
			keyAt++
		}
		keyAt += 8
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, bad("%v", err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return nil, nil, d.fail(ErrCorrupt, key, keyAt, "header: key %q appears twice", key)
		}
		seen[key] = true

		if key == metadataKey {
			if err := dec.Decode(&metadata); err != nil {
				return nil, nil, d.fail(ErrCorrupt, "", keyAt,
					"header: %s must map strings to strings: %v", metadataKey, err)
			}
			continue
		}
		e, err := d.parseEntry(dec, key, keyAt)
		if err != nil {
			return nil, nil, err
		}
		entries = append(entries, e)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, nil, bad("want the end of the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, bad("unexpected content after the JSON object")
	}
	return entries, metadata, nil
}

// parseEntry reads the description of tensor name.
func (d *decoder) parseEntry(dec *json.Decoder, name string, at int64) (entry, error) {
	e := entry{name: name, at: at}
	bad := func(format string, args ...any) (entry, error) {
		return e, d.fail(ErrCorrupt, name, at, "header: "+format, args...)
	}
	if name == "" {
		return bad("empty tensor name")
	}

	// Fields are matched exactly, which encoding/json's struct decoding
	// (case-insensitive) would not do.
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		return bad("want an object with dtype, shape and data_offsets: %v", err)
	}
	for k := range fields {
		if k != "dtype" && k != "shape" && k != "data_offsets" {
			return bad("unknown field %q", k)
		}
	}
	var dtype string
	var shape []int64
	var offsets []int64
	if err := json.Unmarshal(fields["dtype"], &dtype); err != nil || fields["dtype"] == nil {
		return bad("dtype must be a string")
	}
	if err := json.Unmarshal(fields["shape"], &shape); err != nil || fields["shape"] == nil {
		return bad("shape must be an array of integers")
	}
	if err := json.Unmarshal(fields["data_offsets"], &offsets); err != nil ||
		len(offsets) != 2 {
		return bad("data_offsets must be two integers")
	}
	if dtype != "F32" {
		return e, d.fail(ErrUnsupported, name, at,
			"dtype %q is not supported: Mariana reads F32 tensors only", dtype)
	}

	// Bound the product so it cannot overflow; whether the file really
	// holds the bytes is checkLayout's question.
	const maxValues = math.MaxInt64 / 4
	count := int64(1)
	e.shape = make(tensor.Shape, len(shape))
	for i, dim := range shape {
		if dim < 0 {
			return bad("shape %v has a negative dimension", shape)
		}
		if dim > math.MaxInt || dim > 0 && count > maxValues/dim {
			return bad("shape %v is too large", shape)
		}
		count *= dim
		e.shape[i] = int(dim)
	}

	e.begin, e.end = offsets[0], offsets[1]
	if e.begin < 0 || e.end < e.begin {
		return bad("data_offsets [%d, %d] are not a byte range", e.begin, e.end)
	}
	if e.end-e.begin != 4*count {
		return bad("shape %v needs %d bytes of F32, data_offsets [%d, %d] hold %d",
			shape, 4*count, e.begin, e.end, e.end-e.begin)
	}
	return e, nil
}

// checkLayout checks that the byte ranges of the entries lie inside the
// file and tile the data exactly: no gaps, no overlaps, nothing after.
func (d *decoder) checkLayout(entries []entry) error {
	dataLen := d.size - d.dataOffset
	for _, e := range entries {
		if e.end > dataLen {
			return d.fail(ErrTruncated, e.name, d.size,
				"the tensor needs bytes %d to %d, the file ends first",
				d.dataOffset+e.begin, d.dataOffset+e.end)
		}
	}

	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b entry) int {
		if a.begin != b.begin {
			return cmp.Compare(a.begin, b.begin)
		}
		return cmp.Compare(a.end, b.end)
	})
	var next int64
	for _, e := range sorted {
		switch {
		case e.begin > next:
			return d.fail(ErrCorrupt, e.name, d.dataOffset+next,
				"%d bytes before the tensor belong to no tensor", e.begin-next)
		case e.begin < next:
			return d.fail(ErrCorrupt, e.name, d.dataOffset+e.begin,
				"the tensor overlaps the one before it, which ends at byte %d",
				d.dataOffset+next)
		}
		next = e.end
	}
	if next != dataLen {
		return d.fail(ErrCorrupt, "", d.dataOffset+next,
			"%d bytes after the last tensor", dataLen-next)
	}
	return nil
}

// tensor reads the values of e.
func (d *decoder) tensor(e entry) (*tensor.Tensor, error) {
	t := &tensor.Tensor{Shape: e.shape, Data: make([]float32, (e.end-e.begin)/4)}
	buf := make([]byte, 4*min(len(t.Data), 1<<14))
	at := d.dataOffset + e.begin
	for done := 0; done < len(t.Data); {
		n := min(len(t.Data)-done, len(buf)/4)
		if _, err := d.r.ReadAt(buf[:4*n], at); err != nil {
			if errors.Is(err, io.EOF) {
				// The size was checked; the file shrank while we read.
				return nil, d.fail(ErrTruncated, e.name, at, "the file ended while reading")
			}
			return nil, fmt.Errorf("checkpoint: %s: tensor %s: read at byte %d: %w", d.name,
				strconv.Quote(e.name), at, err)
		}
		for i := range n {
			t.Data[done+i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		done += n
		at += 4 * int64(n)
	}
	return t, nil
}

package checkpoint

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"slices"
	"strconv"
)

// chunkFloats is how many float32 values are converted per write.
const chunkFloats = 1 << 14

// Encode writes c to w in the safetensors format: the tensors in the order
// of c.Names, as little-endian float32, with the header padded by spaces
// to a multiple of 8 bytes.
func Encode(w io.Writer, c *Checkpoint) error {
	return encode(w, c, nil)
}

// encode is Encode; halfway, when not nil, is called once when about half
// of the tensor data has been written, for crash tests.
func encode(w io.Writer, c *Checkpoint, halfway func() error) error {
	if err := c.validate(); err != nil {
		return err
	}

	header := appendHeader(nil, c)
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(header)))
	if _, err := w.Write(prefix[:]); err != nil {
		return err
	}
	if _, err := w.Write(header); err != nil {
		return err
	}

	var total, written int
	for _, name := range c.Names {
		total += len(c.Tensors[name].Data)
	}
	buf := make([]byte, 4*chunkFloats)
	for _, name := range c.Names {
		data := c.Tensors[name].Data
		for len(data) > 0 {
			n := min(len(data), chunkFloats)
			for i, v := range data[:n] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			if _, err := w.Write(buf[:4*n]); err != nil {
				return err
			}
			data = data[n:]

			crossed := written < total/2 && written+n >= total/2
			written += n
			if crossed && halfway != nil {
				if err := halfway(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// appendHeader appends the JSON header of c, padded with spaces so that
// the 8-byte length prefix plus the header is a multiple of 8. The
// metadata comes first; the tensors follow in the order of c.Names.
func appendHeader(b []byte, c *Checkpoint) []byte {
	start := len(b)
	b = append(b, '{')
	if len(c.Metadata) > 0 {
		b = appendString(b, metadataKey)
		b = append(b, ":{"...)
		keys := make([]string, 0, len(c.Metadata))
		for k := range c.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, c.Metadata[k])
		}
		b = append(b, '}')
	}

	var offset int64
	for i, name := range c.Names {
		if i > 0 || len(c.Metadata) > 0 {
			b = append(b, ',')
		}
		t := c.Tensors[name]
		b = appendString(b, name)
		b = append(b, `:{"dtype":"F32","shape":[`...)
		for j, d := range t.Shape {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(d), 10)
		}
		b = append(b, `],"data_offsets":[`...)
		b = strconv.AppendInt(b, offset, 10)
		b = append(b, ',')
		offset += 4 * int64(len(t.Data))
		b = strconv.AppendInt(b, offset, 10)
		b = append(b, "]}"...)
	}
	b = append(b, '}')

	for (len(b)-start)%8 != 0 {
		b = append(b, ' ')
	}
	return b
}

// appendString appends s as a JSON string. s is valid UTF-8 (validate
// checked), so the encoding cannot fail or alter it.
func appendString(b []byte, s string) []byte {
	quoted, _ := json.Marshal(s)
	return append(b, quoted...)
}

package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// idxImagesFile returns an IDX image file of count rows×cols images whose
// pixel j of image i is (7*i + j) mod 256.
func idxImagesFile(count, rows, cols int) []byte {
	b := binary.BigEndian.AppendUint32(nil, IDXImagesMagic)
	b = binary.BigEndian.AppendUint32(b, uint32(count))
	b = binary.BigEndian.AppendUint32(b, uint32(rows))
	b = binary.BigEndian.AppendUint32(b, uint32(cols))
	for i := range count {
		for j := range rows * cols {
			b = append(b, byte(7*i+j))
		}
	}
	return b
}

// idxLabelsFile returns an IDX label file holding labels.
func idxLabelsFile(labels ...byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, IDXLabelsMagic)
	b = binary.BigEndian.AppendUint32(b, uint32(len(labels)))
	return append(b, labels...)
}

// gzipped compresses b.
func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// memSource returns a source over b, as openSource would for a file
// holding b.
func memSource(name string, b []byte) (*source, error) {
	return newSource(name, bytes.NewReader(b), int64(len(b)), int64(len(b)))
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fileError returns err as a *FileError, failing the test if it is not.
func fileError(t testing.TB, err error) *FileError {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FileError", err, err)
	}
	return fe
}

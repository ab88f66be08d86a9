package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mariana-dl/mariana/data"
)

// dataFile is one data file open for positioned reads.
type dataFile struct {
	name string // the path the caller gave, which errors name
	gzip bool   // name is gzip-compressed and f is its decompressed copy
	f    *os.File
	size int64 // bytes in f when it was opened
}

// openDataFile opens path for positioned reads, through a decompressed copy
// in cacheDir when it is gzip-compressed.
func openDataFile(path, cacheDir string) (*dataFile, error) {
	raw, err := rawFile(path, cacheDir)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(raw)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	return &dataFile{name: path, gzip: raw != path, f: f, size: st.Size()}, nil
}

// close closes the file; a nil file is fine.
func (d *dataFile) close() error {
	if d == nil {
		return nil
	}
	return d.f.Close()
}

// errorAt returns a [data.FileError] of the given kind at offset off.
func (d *dataFile) errorAt(kind error, off int64, format string, args ...any) error {
	return &data.FileError{
		File:   d.name,
		Offset: off,
		Gzip:   d.gzip,
		Kind:   kind,
		Detail: fmt.Sprintf(format, args...),
	}
}

// readAt fills dst from offset off with one positioned read. The bytes
// are records of unit bytes, the first being number first, called noun in
// errors ("record"). A file that ends early is an [data.ErrTruncated]
// error at the offset where it ends.
func (d *dataFile) readAt(dst []byte, off, unit int64, first int, noun string) error {
	n, err := d.f.ReadAt(dst, off)
	if n == len(dst) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		// The file ends early: where, unless it was cut before off, is
		// where the read stopped.
		end := off + int64(n)
		if st, err := d.f.Stat(); err == nil && st.Size() < end {
			end = st.Size()
		}
		i := int64(n) / unit
		return d.errorAt(data.ErrTruncated, end, "want %d+%d bytes for %s %d",
			off+i*unit, unit, noun, int64(first)+i)
	}
	return fmt.Errorf("pipeline: %s: read %s %d at byte %d: %w", d.name, noun, first, off, err)
}

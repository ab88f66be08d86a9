package data

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// readChunk is how many bytes a reader asks for at a time, so that a
// header declaring gigabytes costs memory only for the bytes that arrive.
const readChunk = 1 << 22

// maxDeflateRatio bounds how much one compressed byte can expand (deflate
// tops out near 1032:1); it caps a preallocation a gzip trailer asks for.
const maxDeflateRatio = 1032

// source is one input file, decompressed on the fly when it is gzip, that
// counts the bytes it has delivered so errors can name offsets.
type source struct {
	name string
	r    io.Reader // the decompressed stream
	off  int64     // bytes delivered so far
	gzip bool
	size int64 // bytes in the stream when known (raw files), else -1
	hint int64 // likely bytes in the stream, for preallocation; 0 if unknown
}

// openSource opens path for reading. The caller closes the returned file.
func openSource(path string) (*source, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("data: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("data: %w", err)
	}

	hint := gzipSizeHint(f, st.Size())
	src, err := newSource(path, f, st.Size(), hint)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return src, f, nil
}

// gzipSizeHint reads the uncompressed size that a gzip file records in its
// last four bytes. The field is only the size modulo 4 GiB and a damaged
// file can put anything there, so it serves to preallocate, bounded by how
// far the compressed bytes could possibly expand, and never to validate.
func gzipSizeHint(f *os.File, size int64) int64 {
	if size < 18 {
		return 0
	}
	var tail [4]byte
	if _, err := f.ReadAt(tail[:], size-4); err != nil {
		return 0
	}
	return min(int64(binary.LittleEndian.Uint32(tail[:])), size*maxDeflateRatio)
}

// newSource wraps r, which holds size bytes, and decompresses it when it
// starts with the gzip magic bytes 1f 8b; gzipHint is then the likely size
// of the decompressed stream.
func newSource(name string, r io.Reader, size, gzipHint int64) (*source, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	magic, _ := br.Peek(2)
	if len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return &source{name: name, r: br, size: size, hint: size}, nil
	}

	zr, err := gzip.NewReader(br)
	if err != nil {
		s := &source{name: name, gzip: true}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, s.errorAt(ErrTruncated, 0, nil, "the gzip header is incomplete")
		}
		return nil, s.errorAt(ErrCorrupt, 0, err, "bad gzip header: %v", err)
	}
	return &source{name: name, r: zr, gzip: true, size: -1, hint: gzipHint}, nil
}

// errorAt returns a FileError of the given kind at offset off.
func (s *source) errorAt(kind error, off int64, cause error, format string, args ...any) error {
	return &FileError{
		File:   s.name,
		Offset: off,
		Gzip:   s.gzip,
		Kind:   kind,
		Detail: fmt.Sprintf(format, args...),
		Err:    cause,
	}
}

// readError explains a failed read of n bytes that start at byte start and
// hold what ("image 9999"). The stream ended early, the gzip stream is
// damaged, or the operating system failed.
func (s *source) readError(err error, start, n int64, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.errorAt(ErrTruncated, s.off, nil, "want %d+%d bytes for %s", start, n, what)
	}

	var corrupt flate.CorruptInputError
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.As(err, &corrupt) {
		return s.errorAt(ErrCorrupt, s.off, err, "damaged gzip stream while reading %s: %v",
			what, err)
	}
	return fmt.Errorf("data: %s: read %s at byte %d: %w", s.name, what, s.off, err)
}

// readHeader fills h[from:to] from the stream, where h is a header at the
// start of the stream; what names the header in errors.
func (s *source) readHeader(h []byte, from, to int, what string) error {
	n, err := io.ReadFull(s.r, h[from:to])
	s.off += int64(n)
	if err != nil {
		return s.readError(err, 0, int64(len(h)), what)
	}
	return nil
}

// readRecords appends count records of size bytes each to dst. They must
// be the rest of the stream. noun names one record in errors ("image").
func (s *source) readRecords(dst []byte, count, size int64, noun string) ([]byte, error) {
	total := count * size

	// A raw file's size is known: check it before allocating anything.
	if s.size >= 0 {
		avail := s.size - s.off
		if avail < total {
			i := avail / size
			return dst, s.errorAt(ErrTruncated, s.size, nil,
				"want %d+%d bytes for %s %d (the header declares %d)",
				s.off+i*size, size, noun, i, count)
		}
		if avail > total {
			return dst, s.errorAt(ErrCorrupt, s.off+total, nil,
				"%d unexpected bytes after the last %s (the header declares %d)",
				avail-total, noun, count)
		}
	}

	if s.hint > s.off {
		dst = slices.Grow(dst, int(min(total, s.hint-s.off)))
	}
	base := s.off
	for read := int64(0); read < total; {
		n := int(min(total-read, readChunk))
		dst = slices.Grow(dst, n)
		m, err := io.ReadFull(s.r, dst[len(dst):len(dst)+n])
		dst = dst[:len(dst)+m]
		s.off += int64(m)
		read += int64(m)
		if err != nil {
			i := read / size
			return dst, s.readError(err, base+i*size, size,
				fmt.Sprintf("%s %d (the header declares %d)", noun, i, count))
		}
	}
	return dst, s.expectEnd(noun)
}

// expectEnd checks that the stream ends here. For gzip this is also where
// the checksum of the decompressed data is verified.
func (s *source) expectEnd(noun string) error {
	var b [1]byte
	n, err := io.ReadFull(s.r, b[:])
	if n == 1 {
		return s.errorAt(ErrCorrupt, s.off, nil, "unexpected bytes after the last %s", noun)
	}
	if err == io.EOF {
		return nil
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return s.errorAt(ErrTruncated, s.off, nil, "the gzip stream ends before its trailer")
	}
	return s.readError(err, s.off, 0, "the end of the stream")
}

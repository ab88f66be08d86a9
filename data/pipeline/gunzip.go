package pipeline

import (
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mariana-dl/mariana/data"
)

// rawFile returns a path to the uncompressed contents of path: path itself
// when it is not gzip-compressed, else a copy decompressed into cacheDir.
//
// A gzip stream can only be read from its start, and the read stage needs
// to read records at any offset, so a compressed file is decompressed once,
// in full, and the copy is reused while the original keeps its path, size
// and modification time (they name the copy).
//
// TODO: copies of files that changed or went away stay in cacheDir; nothing
// removes them yet, since the folder is the caller's to manage.
func rawFile(path, cacheDir string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("pipeline: %w", err)
	}
	defer f.Close()

	var magic [2]byte
	if n, _ := f.ReadAt(magic[:], 0); n < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return path, nil
	}
	if cacheDir == "" {
		return "", fmt.Errorf("pipeline: %s: %w to decompress it into, since records "+
			"are read at random offsets", path, ErrCompressed)
	}

	st, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("pipeline: %w", err)
	}
	cached := filepath.Join(cacheDir, cacheName(path, st))
	if _, err := os.Stat(cached); err == nil {
		return cached, nil
	}
	if err := gunzipTo(f, path, cached); err != nil {
		return "", err
	}
	return cached, nil
}

// cacheName names the decompressed copy of path after its base name
// without ".gz" and a hash of its absolute path, size and modification
// time, so a changed or different file never finds a stale copy.
func cacheName(path string, st os.FileInfo) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	h := fnv.New64a()
	io.WriteString(h, abs)
	io.WriteString(h, "\x00"+strconv.FormatInt(st.Size(), 10))
	io.WriteString(h, "\x00"+strconv.FormatInt(st.ModTime().UnixNano(), 10))
	base := strings.TrimSuffix(filepath.Base(path), ".gz")
	return fmt.Sprintf("%s-%016x", base, h.Sum64())
}

// gunzipTo decompresses f, opened from path, into dst. It writes a
// temporary file next to dst and renames it, so that dst is either
// missing or complete, even when several processes race.
func gunzipTo(f *os.File, path, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("pipeline: cache folder: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+".tmp*")
	if err != nil {
		return fmt.Errorf("pipeline: cache folder: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename

	out := &countingWriter{w: tmp}
	zr, err := gzip.NewReader(io.NewSectionReader(f, 0, 1<<62))
	if err == nil {
		_, err = io.Copy(out, zr)
	}
	if err != nil {
		tmp.Close()
		if out.failed != nil {
			return fmt.Errorf("pipeline: decompress %s into %s: %w", path, tmp.Name(),
				out.failed)
		}
		return gzipError(path, out.n, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("pipeline: decompress %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("pipeline: decompress %s: %w", path, err)
	}
	return nil
}

// gzipError explains a failure to decompress path after off bytes of
// output.
func gzipError(path string, off int64, err error) error {
	fe := &data.FileError{File: path, Offset: off, Gzip: true, Err: err}
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		fe.Kind = data.ErrTruncated
		fe.Detail = "the gzip stream ends early"
	case errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) ||
		errors.As(err, &corrupt):
		fe.Kind = data.ErrCorrupt
		fe.Detail = "damaged gzip stream: " + err.Error()
	default:
		return fmt.Errorf("pipeline: decompress %s at byte %d of the decompressed stream: %w",
			path, off, err)
	}
	return fe
}

// countingWriter counts the bytes written through it and remembers a
// failure of the underlying writer, so that it is not mistaken for a
// problem with the compressed input.
type countingWriter struct {
	w      io.Writer
	n      int64
	failed error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil {
		c.failed = err
	}
	return n, err
}

package pipeline

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// Header sizes of IDX image and label files.
const (
	idxImagesHead = 16
	idxLabelsHead = 8
)

// MNIST file names, without the .gz that GoMNIST's copies carry.
const (
	mnistTrainImages = "train-images-idx3-ubyte"
	mnistTrainLabels = "train-labels-idx1-ubyte"
	mnistTestImages  = "t10k-images-idx3-ubyte"
	mnistTestLabels  = "t10k-labels-idx1-ubyte"
)

// IDX is a [Source] over an IDX image file and its IDX label file, the
// format of MNIST: 1×rows×cols byte images, 10 classes. Images are read
// from the file where they lie; the labels, one byte per sample, are read
// and checked when the source is opened. It is safe for concurrent use.
type IDX struct {
	images *dataFile
	shape  tensor.Shape
	labels []uint8
}

// OpenIDX opens an IDX image file and its label file and checks their
// headers, sizes and labels. Either may be gzip-compressed, as MNIST's
// files usually are: a gzip stream cannot be read at random offsets, so it
// is decompressed once into cacheDir (made if missing) and the copy is used
// from then on, named after the original's path, size and modification
// time so that it is remade when the original changes. With cacheDir ""
// a compressed file is an error wrapping [ErrCompressed]. Offsets in
// errors about a compressed file count in its decompressed stream, and the
// error says so. Close the source when done.
func OpenIDX(imagesPath, labelsPath, cacheDir string) (*IDX, error) {
	images, err := openDataFile(imagesPath, cacheDir)
	if err != nil {
		return nil, err
	}
	s := &IDX{images: images}
	count, err := s.readImagesHeader()
	if err != nil {
		images.close()
		return nil, err
	}

	labels, err := openDataFile(labelsPath, cacheDir)
	if err != nil {
		images.close()
		return nil, err
	}
	defer labels.close()
	if s.labels, err = readIDXLabels(labels, count, imagesPath); err != nil {
		images.close()
		return nil, err
	}
	return s, nil
}

// OpenMNISTDir opens the MNIST training set (60000 images) and test set
// (10000 images) in dir, which holds the four IDX files under their usual
// names, each raw or gzip-compressed (the .gz name is tried first), as
// [data.LoadMNIST] does. [data.GoMNISTDir] returns such a folder, whose
// files are compressed, so they need a cacheDir.
func OpenMNISTDir(dir, cacheDir string) (train, test *IDX, err error) {
	open := func(images, labels string) (*IDX, error) {
		ip, err := findMNISTFile(dir, images)
		if err != nil {
			return nil, err
		}
		lp, err := findMNISTFile(dir, labels)
		if err != nil {
			return nil, err
		}
		return OpenIDX(ip, lp, cacheDir)
	}
	if train, err = open(mnistTrainImages, mnistTrainLabels); err != nil {
		return nil, nil, err
	}
	if test, err = open(mnistTestImages, mnistTestLabels); err != nil {
		train.Close()
		return nil, nil, err
	}
	return train, test, nil
}

// findMNISTFile returns dir/name.gz or dir/name, whichever exists.
func findMNISTFile(dir, name string) (string, error) {
	for _, candidate := range []string{name + ".gz", name} {
		path := filepath.Join(dir, candidate)
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	}
	return "", fmt.Errorf("pipeline: %s: neither %s.gz nor %s exists: %w",
		dir, name, name, os.ErrNotExist)
}

// readImagesHeader checks the 16-byte header of the image file (magic,
// count, rows, cols, big-endian) against the file's size and returns the
// number of images.
func (s *IDX) readImagesHeader() (int, error) {
	f := s.images
	var h [idxImagesHead]byte
	if f.size < 4 {
		return 0, f.errorAt(data.ErrTruncated, f.size, "want 0+%d bytes for the IDX image header",
			len(h))
	}
	if err := f.readAt(h[:4], 0, 4, 0, "header"); err != nil {
		return 0, err
	}
	if err := checkIDXMagic(f, h[:4], data.IDXImagesMagic); err != nil {
		return 0, err
	}
	if f.size < idxImagesHead {
		return 0, f.errorAt(data.ErrTruncated, f.size, "want 0+%d bytes for the IDX image header",
			len(h))
	}
	if err := f.readAt(h[:], 0, idxImagesHead, 0, "header"); err != nil {
		return 0, err
	}

	count := int64(binary.BigEndian.Uint32(h[4:]))
	rows := int64(binary.BigEndian.Uint32(h[8:]))
	cols := int64(binary.BigEndian.Uint32(h[12:]))
	if count == 0 {
		return 0, f.errorAt(data.ErrCorrupt, 4, "the header declares no images")
	}
	// Each side is bounded before the product, which could overflow.
	if rows == 0 || cols == 0 || rows > data.MaxIDXImagePixels || cols > data.MaxIDXImagePixels ||
		rows*cols > data.MaxIDXImagePixels {
		return 0, f.errorAt(data.ErrCorrupt, 8, "the header declares images of %d×%d pixels",
			rows, cols)
	}

	size := rows * cols
	want := idxImagesHead + count*size
	if f.size < want {
		i := (f.size - idxImagesHead) / size
		return 0, f.errorAt(data.ErrTruncated, f.size,
			"want %d+%d bytes for image %d (the header declares %d)",
			idxImagesHead+i*size, size, i, count)
	}
	if f.size > want {
		return 0, f.errorAt(data.ErrCorrupt, want,
			"%d unexpected bytes after the last image (the header declares %d)",
			f.size-want, count)
	}
	s.shape = tensor.Shape{1, int(rows), int(cols)}
	return int(count), nil
}

// readIDXLabels reads and checks a whole IDX label file, which must hold
// count labels for the images of imagesPath.
func readIDXLabels(f *dataFile, count int, imagesPath string) ([]uint8, error) {
	var h [idxLabelsHead]byte
	if f.size < idxLabelsHead {
		if f.size >= 4 {
			if err := f.readAt(h[:4], 0, 4, 0, "header"); err != nil {
				return nil, err
			}
			if err := checkIDXMagic(f, h[:4], data.IDXLabelsMagic); err != nil {
				return nil, err
			}
		}
		return nil, f.errorAt(data.ErrTruncated, f.size, "want 0+%d bytes for the IDX label header",
			len(h))
	}
	if err := f.readAt(h[:], 0, idxLabelsHead, 0, "header"); err != nil {
		return nil, err
	}
	if err := checkIDXMagic(f, h[:4], data.IDXLabelsMagic); err != nil {
		return nil, err
	}

	declared := int64(binary.BigEndian.Uint32(h[4:]))
	if declared != int64(count) {
		return nil, f.errorAt(data.ErrCorrupt, 4,
			"the header declares %d labels but %s holds %d images", declared, imagesPath, count)
	}
	want := idxLabelsHead + declared
	if f.size < want {
		return nil, f.errorAt(data.ErrTruncated, f.size,
			"want %d+1 bytes for label %d (the header declares %d)",
			f.size, f.size-idxLabelsHead, declared)
	}
	if f.size > want {
		return nil, f.errorAt(data.ErrCorrupt, want,
			"%d unexpected bytes after the last label (the header declares %d)",
			f.size-want, declared)
	}

	// The size was checked against the file, so this allocates no more
	// than the file holds.
	labels := make([]uint8, count)
	if err := f.readAt(labels, idxLabelsHead, 1, 0, "label"); err != nil {
		return nil, err
	}
	for i, l := range labels {
		if l >= data.MNISTClasses {
			return nil, f.errorAt(data.ErrCorrupt, int64(idxLabelsHead+i),
				"label %d of sample %d is not a digit", l, i)
		}
	}
	return labels, nil
}

// checkIDXMagic compares the magic number b with want.
func checkIDXMagic(f *dataFile, b []byte, want uint32) error {
	if problem := data.IDXMagicProblem(b, want); problem != "" {
		return f.errorAt(data.ErrCorrupt, 0, "%s", problem)
	}
	return nil
}

// Close closes the image file. Reading afterwards is an error wrapping
// [os.ErrClosed].
func (s *IDX) Close() error { return s.images.close() }

// Len returns the number of samples.
func (s *IDX) Len() int { return len(s.labels) }

// ImageShape returns 1×rows×cols. The caller must not modify it.
func (s *IDX) ImageShape() tensor.Shape { return s.shape }

// Classes returns 10.
func (s *IDX) Classes() int { return data.MNISTClasses }

// RecordSize returns rows×cols: the records are the images; the labels
// are already in memory.
func (s *IDX) RecordSize() int { return s.shape.Size() }

// ReadRecords reads images first to first+count-1 with one positioned
// read.
func (s *IDX) ReadRecords(first, count int, dst []byte) error {
	size := s.RecordSize()
	if first < 0 || count < 0 || first+count > s.Len() || len(dst) < count*size {
		return configErrorf("IDX: records %d+%d into %d bytes: outside %d records",
			first, count, len(dst), s.Len())
	}
	off := idxImagesHead + int64(first)*int64(size)
	return s.images.readAt(dst[:count*size], off, int64(size), first, "image")
}

// Decode returns the image, which is the record itself, and its label.
func (s *IDX) Decode(index int, rec []byte) ([]byte, int, error) {
	if len(rec) != s.RecordSize() {
		return nil, 0, configErrorf("IDX: record of %d bytes, want %d", len(rec),
			s.RecordSize())
	}
	return rec, int(s.labels[index]), nil
}

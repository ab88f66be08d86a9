package data

import (
	"encoding/binary"
	"fmt"

	"github.com/mariana-dl/mariana/tensor"
)

// idxImages is the contents of an IDX image file.
type idxImages struct {
	count, rows, cols int
	pix               []uint8 // count × rows × cols
}

// ReadMNIST reads an IDX image file and its IDX label file, raw or
// gzip-compressed, into a dataset of 1×rows×cols images with 10 classes,
// normalised with plain scaling. Any dataset in MNIST's format will do.
func ReadMNIST(imagesPath, labelsPath string) (*ImageSet, error) {
	images, err := readIDXImagesFile(imagesPath)
	if err != nil {
		return nil, err
	}
	labels, err := readIDXLabelsFile(labelsPath)
	if err != nil {
		return nil, err
	}

	if len(labels) != images.count {
		return nil, &FileError{
			File: labelsPath, Offset: 4, Kind: ErrCorrupt,
			Detail: fmt.Sprintf("the header declares %d labels but %s holds %d images",
				len(labels), imagesPath, images.count),
		}
	}
	return NewImageSet(tensor.Shape{1, images.rows, images.cols}, MNISTClasses,
		images.pix, labels)
}

// readIDXImagesFile reads the IDX image file at path.
func readIDXImagesFile(path string) (*idxImages, error) {
	s, f, err := openSource(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeIDXImages(s)
}

// readIDXLabelsFile reads the IDX label file at path.
func readIDXLabelsFile(path string) ([]uint8, error) {
	s, f, err := openSource(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeIDXLabels(s)
}

// decodeIDXImages reads a whole IDX image stream: a 16-byte header (magic,
// count, rows, cols, big-endian) and count×rows×cols bytes.
func decodeIDXImages(s *source) (*idxImages, error) {
	// The magic number comes first, so that a short file of the wrong
	// kind is reported as the wrong kind.
	var h [16]byte
	if err := s.readHeader(h[:], 0, 4, "the IDX image header"); err != nil {
		return nil, err
	}
	if err := checkIDXMagic(s, h[:4], IDXImagesMagic); err != nil {
		return nil, err
	}
	if err := s.readHeader(h[:], 4, len(h), "the IDX image header"); err != nil {
		return nil, err
	}

	count := int64(binary.BigEndian.Uint32(h[4:]))
	rows := int64(binary.BigEndian.Uint32(h[8:]))
	cols := int64(binary.BigEndian.Uint32(h[12:]))
	if count == 0 {
		return nil, s.errorAt(ErrCorrupt, 4, nil, "the header declares no images")
	}
	// Each side is bounded before the product, which could overflow.
	if rows == 0 || cols == 0 || rows > MaxIDXImagePixels || cols > MaxIDXImagePixels ||
		rows*cols > MaxIDXImagePixels {
		return nil, s.errorAt(ErrCorrupt, 8, nil,
			"the header declares images of %d×%d pixels", rows, cols)
	}

	pix, err := s.readRecords(nil, count, rows*cols, "image")
	if err != nil {
		return nil, err
	}
	return &idxImages{count: int(count), rows: int(rows), cols: int(cols), pix: pix}, nil
}

// decodeIDXLabels reads a whole IDX label stream: an 8-byte header (magic,
// count) and count labels, one byte each, each below 10.
func decodeIDXLabels(s *source) ([]uint8, error) {
	var h [8]byte
	if err := s.readHeader(h[:], 0, 4, "the IDX label header"); err != nil {
		return nil, err
	}
	if err := checkIDXMagic(s, h[:4], IDXLabelsMagic); err != nil {
		return nil, err
	}
	if err := s.readHeader(h[:], 4, len(h), "the IDX label header"); err != nil {
		return nil, err
	}

	count := int64(binary.BigEndian.Uint32(h[4:]))
	if count == 0 {
		return nil, s.errorAt(ErrCorrupt, 4, nil, "the header declares no labels")
	}
	labels, err := s.readRecords(nil, count, 1, "label")
	if err != nil {
		return nil, err
	}

	for i, l := range labels {
		if l >= MNISTClasses {
			return nil, s.errorAt(ErrCorrupt, int64(len(h)+i), nil,
				"label %d of sample %d is not a digit", l, i)
		}
	}
	return labels, nil
}

// checkIDXMagic compares the magic number at the start of s with want.
func checkIDXMagic(s *source, b []byte, want uint32) error {
	if problem := IDXMagicProblem(b, want); problem != "" {
		return s.errorAt(ErrCorrupt, 0, nil, "%s", problem)
	}
	return nil
}

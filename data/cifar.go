package data

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/mariana-dl/mariana/tensor"
)

// LoadCIFAR10 reads the binary version of CIFAR-10 from dir (the folder
// cifar-10-batches-bin of the official archive): data_batch_1.bin to
// data_batch_5.bin are the training set and test_batch.bin the test set.
// Images are 3×32×32 and normalised with plain scaling.
func LoadCIFAR10(dir string) (train, test *ImageSet, err error) {
	paths := CIFAR10TrainFiles()
	for i, name := range paths {
		paths[i] = filepath.Join(dir, name)
	}
	train, err = ReadCIFAR10(paths...)
	if err != nil {
		return nil, nil, err
	}
	test, err = ReadCIFAR10(filepath.Join(dir, CIFAR10TestFile))
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// ReadCIFAR10 reads one or more CIFAR-10 binary files, raw or
// gzip-compressed, into one dataset, in the order given.
func ReadCIFAR10(paths ...string) (*ImageSet, error) {
	if len(paths) == 0 {
		return nil, configErrorf("ReadCIFAR10: no files given")
	}

	// Open everything first, so that the pixels of all files can go into
	// one allocation of the right size.
	sources := make([]*source, 0, len(paths))
	var records int64
	for _, path := range paths {
		s, f, err := openSource(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sources = append(sources, s)
		records += s.hint / CIFAR10Record
	}

	pix := make([]uint8, 0, records*CIFAR10Image)
	labels := make([]uint8, 0, records)
	for _, s := range sources {
		var err error
		pix, labels, err = decodeCIFAR(s, pix, labels)
		if err != nil {
			return nil, err
		}
	}
	return NewImageSet(tensor.Shape{3, 32, 32}, CIFAR10Classes, pix, labels)
}

// decodeCIFAR appends the records of one CIFAR-10 binary stream to pix and
// labels.
func decodeCIFAR(s *source, pix, labels []uint8) ([]uint8, []uint8, error) {
	if s.size >= 0 {
		count, rest := s.size/CIFAR10Record, s.size%CIFAR10Record
		if rest != 0 {
			return pix, labels, s.errorAt(ErrTruncated, s.size, nil,
				"want %d+%d bytes for record %d", count*CIFAR10Record, CIFAR10Record, count)
		}
	}

	var rec [CIFAR10Record]byte
	for i := 0; ; i++ {
		start := s.off
		n, err := io.ReadFull(s.r, rec[:])
		s.off += int64(n)
		if err == io.EOF {
			if i == 0 {
				return pix, labels, s.errorAt(ErrCorrupt, 0, nil,
					"no records: want records of %d bytes", CIFAR10Record)
			}
			return pix, labels, nil
		}
		if err != nil {
			return pix, labels, s.readError(err, start, CIFAR10Record,
				fmt.Sprintf("record %d", i))
		}

		if rec[0] >= CIFAR10Classes {
			return pix, labels, s.errorAt(ErrCorrupt, start, nil,
				"label %d of record %d is not below %d", rec[0], i, CIFAR10Classes)
		}
		labels = append(labels, rec[0])
		pix = append(pix, rec[1:]...)
	}
}

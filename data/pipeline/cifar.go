package pipeline

import (
	"errors"
	"path/filepath"
	"sort"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// CIFAR10 is a [Source] over one or more CIFAR-10 binary batch files,
// taken as one dataset in the order given. A read stage fetches each
// 3073-byte record where it lies in its file. It is safe for concurrent
// use.
type CIFAR10 struct {
	files  []*dataFile
	starts []int // index of the first sample of each file, then Len()
	shape  tensor.Shape
}

// OpenCIFAR10 opens CIFAR-10 binary batch files, raw or gzip-compressed
// (those are decompressed into cacheDir once, see [OpenIDX]), and checks
// that each holds a whole number of records. Labels are checked as they
// are read. Close the source when done.
func OpenCIFAR10(paths []string, cacheDir string) (*CIFAR10, error) {
	if len(paths) == 0 {
		return nil, configErrorf("OpenCIFAR10: no files given")
	}

	c := &CIFAR10{shape: tensor.Shape{3, 32, 32}, starts: []int{0}}
	for _, path := range paths {
		f, err := openDataFile(path, cacheDir)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.files = append(c.files, f)

		count, rest := f.size/data.CIFAR10Record, f.size%data.CIFAR10Record
		switch {
		case f.size == 0:
			err = f.errorAt(data.ErrCorrupt, 0, "no records: want records of %d bytes",
				data.CIFAR10Record)
		case rest != 0:
			err = f.errorAt(data.ErrTruncated, f.size, "want %d+%d bytes for record %d",
				count*data.CIFAR10Record, data.CIFAR10Record, count)
		}
		if err != nil {
			c.Close()
			return nil, err
		}
		c.starts = append(c.starts, c.starts[len(c.starts)-1]+int(count))
	}
	return c, nil
}

// OpenCIFAR10Dir opens the binary version of CIFAR-10 in dir (the folder
// cifar-10-batches-bin of the official archive): data_batch_1.bin to
// data_batch_5.bin are the training set and test_batch.bin the test set.
func OpenCIFAR10Dir(dir, cacheDir string) (train, test *CIFAR10, err error) {
	paths := data.CIFAR10TrainFiles()
	for i, name := range paths {
		paths[i] = filepath.Join(dir, name)
	}
	train, err = OpenCIFAR10(paths, cacheDir)
	if err != nil {
		return nil, nil, err
	}
	test, err = OpenCIFAR10([]string{filepath.Join(dir, data.CIFAR10TestFile)}, cacheDir)
	if err != nil {
		train.Close()
		return nil, nil, err
	}
	return train, test, nil
}

// Close closes the files. Reading afterwards is an error wrapping
// [os.ErrClosed].
func (c *CIFAR10) Close() error {
	var errs []error
	for _, f := range c.files {
		errs = append(errs, f.close())
	}
	return errors.Join(errs...)
}

// Len returns the number of samples in all files.
func (c *CIFAR10) Len() int { return c.starts[len(c.starts)-1] }

// ImageShape returns 3×32×32. The caller must not modify it.
func (c *CIFAR10) ImageShape() tensor.Shape { return c.shape }

// Classes returns 10.
func (c *CIFAR10) Classes() int { return data.CIFAR10Classes }

// RecordSize returns 3073: a label byte and the image.
func (c *CIFAR10) RecordSize() int { return data.CIFAR10Record }

// ReadRecords reads the records of samples first to first+count-1, with
// one positioned read per file they span.
func (c *CIFAR10) ReadRecords(first, count int, dst []byte) error {
	if first < 0 || count < 0 || first+count > c.Len() || len(dst) < count*data.CIFAR10Record {
		return configErrorf("CIFAR10: records %d+%d into %d bytes: outside %d records",
			first, count, len(dst), c.Len())
	}
	for count > 0 {
		k := c.file(first)
		local := first - c.starts[k]
		m := min(count, c.starts[k+1]-first)
		err := c.files[k].readAt(dst[:m*data.CIFAR10Record], int64(local)*data.CIFAR10Record,
			data.CIFAR10Record, local, "record")
		if err != nil {
			return err
		}
		dst = dst[m*data.CIFAR10Record:]
		first += m
		count -= m
	}
	return nil
}

// Decode returns the image and the label of a record.
func (c *CIFAR10) Decode(index int, rec []byte) ([]byte, int, error) {
	if len(rec) != data.CIFAR10Record {
		return nil, 0, configErrorf("CIFAR10: record of %d bytes, want %d", len(rec),
			data.CIFAR10Record)
	}
	label := int(rec[0])
	if label >= data.CIFAR10Classes {
		k := c.file(index)
		local := index - c.starts[k]
		return nil, 0, c.files[k].errorAt(data.ErrCorrupt, int64(local)*data.CIFAR10Record,
			"label %d of record %d is not below %d", label, local, data.CIFAR10Classes)
	}
	return rec[1:], label, nil
}

// file returns the number of the file that holds sample index.
func (c *CIFAR10) file(index int) int {
	return sort.SearchInts(c.starts[1:], index+1)
}

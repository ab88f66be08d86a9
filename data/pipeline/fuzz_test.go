package pipeline

import (
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// readAll opens a pipeline over src in evaluation mode and reads an epoch.
// Whatever the files hold, it must end in batches or an error, never a
// panic.
func readAll(src Source) error {
	p, err := New(src, Config{BatchSize: 7, Crop: 1, Pad: 1, Threads: 2})
	if err != nil {
		return err
	}
	defer p.Close()
	var x, y tensor.Tensor
	for range p.BatchesPerEpoch() {
		if _, err := p.Next(&x, &y); err != nil {
			return err
		}
	}
	return nil
}

func FuzzOpenIDX(f *testing.F) {
	images := func(count, rows, cols uint32, pix ...byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, data.IDXImagesMagic)
		b = binary.BigEndian.AppendUint32(b, count)
		b = binary.BigEndian.AppendUint32(b, rows)
		b = binary.BigEndian.AppendUint32(b, cols)
		return append(b, pix...)
	}
	labels := func(l ...byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, data.IDXLabelsMagic)
		b = binary.BigEndian.AppendUint32(b, uint32(len(l)))
		return append(b, l...)
	}
	f.Add(images(2, 1, 2, 1, 2, 3, 4), labels(3, 9))
	f.Add(images(2, 1, 2, 1, 2, 3), labels(3, 9))
	f.Add(images(1, 1, 1, 7), labels(12))
	f.Add(images(0, 1, 1), labels())
	f.Add(images(1<<31, 1<<15, 1<<15), labels(1))
	f.Add(labels(1, 2), images(1, 1, 1, 7))
	f.Add([]byte{0x1f, 0x8b, 8, 0}, labels(1))
	f.Add([]byte{}, []byte{0, 0})

	f.Fuzz(func(t *testing.T, imageBytes, labelBytes []byte) {
		dir := t.TempDir()
		ip, lp := filepath.Join(dir, "images"), filepath.Join(dir, "labels")
		if err := os.WriteFile(ip, imageBytes, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(lp, labelBytes, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := OpenIDX(ip, lp, filepath.Join(dir, "cache"))
		if err != nil {
			checkOpenError(t, err)
			return
		}
		defer src.Close()
		if err := readAll(src); err != nil {
			t.Fatalf("a source that opened fails to read: %v", err)
		}
	})
}

func FuzzOpenCIFAR10(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 1))
	rec := make([]byte, 2*data.CIFAR10Record)
	for i := range rec {
		rec[i] = byte(rng.Uint32())
	}
	rec[0], rec[data.CIFAR10Record] = 3, 9
	f.Add(rec)
	f.Add(rec[:data.CIFAR10Record+5])
	bad := append([]byte(nil), rec...)
	bad[data.CIFAR10Record] = 200
	f.Add(bad)
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "data_batch_1.bin")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := OpenCIFAR10([]string{path}, "")
		if err != nil {
			checkOpenError(t, err)
			return
		}
		defer src.Close()
		if src.Len()*data.CIFAR10Record != len(b) {
			t.Fatalf("%d records in %d bytes", src.Len(), len(b))
		}
		err = readAll(src)
		if err != nil && !errors.Is(err, data.ErrCorrupt) {
			t.Fatalf("reading: %v, want success or a corrupt label", err)
		}
	})
}

// checkOpenError wants a refused file to be a FileError, or a compressed
// file's problem.
func checkOpenError(t *testing.T, err error) {
	t.Helper()
	var fe *data.FileError
	if !errors.As(err, &fe) && !errors.Is(err, ErrCompressed) {
		t.Fatalf("error %v (%T) is not a *data.FileError", err, err)
	}
}

// FuzzSample compares the preprocessing of random geometries with the
// reference.
func FuzzSample(f *testing.F) {
	f.Add(uint64(1), uint8(3), uint8(5), uint8(7), uint8(2), uint8(4), false)
	f.Add(uint64(2), uint8(1), uint8(1), uint8(1), uint8(0), uint8(1), true)
	f.Add(uint64(3), uint8(2), uint8(9), uint8(4), uint8(3), uint8(10), true)
	f.Fuzz(func(t *testing.T, seed uint64, c, h, w, pad, crop uint8, meanImage bool) {
		c, h, w, pad = 1+c%4, 1+h%16, 1+w%16, pad%5
		crop = 1 + crop%uint8(min(h, w)+2*pad)
		rng := rand.New(rand.NewPCG(seed, 0))
		checkAgainstReference(t, rng, int(c), int(h), int(w), int(pad), int(crop), meanImage)
	})
}

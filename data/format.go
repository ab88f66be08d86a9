package data

import (
	"encoding/binary"
	"fmt"
)

// Facts of the file formats, shared by the in-memory readers here and the
// streaming readers of data/pipeline.

// IDX magic numbers: two zero bytes, the element type (0x08, unsigned
// byte) and the number of dimensions.
const (
	IDXImagesMagic = 0x00000803
	IDXLabelsMagic = 0x00000801
)

// MaxIDXImagePixels bounds rows×cols of one IDX image. It is far above any
// real dataset and keeps count×rows×cols well inside an int64.
const MaxIDXImagePixels = 1 << 24

// MNISTClasses is the number of digits.
const MNISTClasses = 10

// CIFAR-10's binary format: records of one label byte and a 3×32×32 image,
// the red plane, then green, then blue, each row by row.
const (
	CIFAR10Image   = 3 * 32 * 32
	CIFAR10Record  = 1 + CIFAR10Image
	CIFAR10Classes = 10
)

// CIFAR10TestFile is the test batch of the binary version of CIFAR-10.
const CIFAR10TestFile = "test_batch.bin"

// CIFAR10TrainFiles returns the training batches of the binary version of
// CIFAR-10, in order.
func CIFAR10TrainFiles() []string {
	return []string{
		"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
		"data_batch_4.bin", "data_batch_5.bin",
	}
}

// IDXMagicProblem compares the magic number at the start of an IDX file, b,
// with want, and returns "" when they agree, else what is wrong, saying
// what the file is instead.
func IDXMagicProblem(b []byte, want uint32) string {
	got := binary.BigEndian.Uint32(b)
	if got == want {
		return ""
	}

	what := "IDX images"
	if want == IDXLabelsMagic {
		what = "IDX labels"
	}
	var is string
	switch {
	case got == IDXImagesMagic:
		is = "; this is an IDX image file"
	case got == IDXLabelsMagic:
		is = "; this is an IDX label file"
	case b[0] != 0 || b[1] != 0:
		is = "; this is not an IDX file"
	case b[2] != 0x08:
		is = fmt.Sprintf("; IDX element type 0x%02x is not supported, only 0x08 (bytes)", b[2])
	default:
		is = fmt.Sprintf("; this IDX file has %d dimensions", b[3])
	}
	return fmt.Sprintf("magic number 0x%08x, want 0x%08x (%s)%s", got, want, what, is)
}

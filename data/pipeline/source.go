package pipeline

import "github.com/mariana-dl/mariana/tensor"

// Source is a set of data files whose samples can be read one record at a
// time at a known place, which is what lets the read stage fetch a
// mini-batch in any order with positioned reads. Its methods must be safe
// for concurrent use, so that several pipelines (training and evaluation)
// can share one source.
type Source interface {
	// Len returns the number of samples.
	Len() int

	// ImageShape returns the shape of one image, C×H×W. The caller must
	// not modify it.
	ImageShape() tensor.Shape

	// Classes returns the number of classes; labels are in [0, Classes()).
	Classes() int

	// RecordSize returns the number of bytes ReadRecords delivers per
	// sample.
	RecordSize() int

	// ReadRecords reads the records of samples first to first+count-1 into
	// dst, which holds count×RecordSize() bytes. A file that ends early
	// is a [*data.FileError] naming the file and the offset where it
	// ends.
	ReadRecords(first, count int, dst []byte) error

	// Decode returns the C×H×W pixel bytes and the label of sample index,
	// whose record ReadRecords put in rec. pix may share rec's memory. A
	// label out of range is a [*data.FileError] naming its offset.
	//
	// TODO: formats with compressed images (JPEG or PNG records, as an
	// ImageNet-style dataset would hold) need decoding in the preprocess
	// stage, with records of varying size; the datasets Mariana reads so
	// far store raw bytes, so no source decodes yet.
	Decode(index int, rec []byte) (pix []byte, label int, err error)
}

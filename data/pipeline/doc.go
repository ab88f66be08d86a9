// Package pipeline is the three-stage input pipeline: while the trainer
// trains on mini-batch n, batch n+1 is being preprocessed on the CPU and
// batch n+2 is being read from disk.
//
// # Stages
//
//	disk ──► [read] ──raw queue──► [preprocess] ──batch queue──► Next (train)
//
// The read stage takes the records of each mini-batch straight from the data
// files, in the seeded shuffled order of [data.Loader] (see [data.Permute]),
// with positioned reads (pread), so the files are never loaded whole. A
// [Source] says where a record lives: [CIFAR10] reads the binary batches of
// CIFAR-10 and [IDX] the image and label files of MNIST. Gzip-compressed
// files cannot be read at random offsets; they are decompressed once into a
// cache folder (see [OpenIDX]).
//
// The preprocess stage turns the bytes into the float32 N×C×H×W batch the
// network reads: a crop of a configured size out of the image, optionally
// padded first, a horizontal mirror with probability one half, mean
// subtraction (per channel or a whole mean image) and scaling. Its work is
// split over a configurable number of goroutines. The random choices of a
// sample (crop offset, mirror) are a pure function of (seed, epoch, sample
// index), so they are the same for any thread count and after a resume. In
// evaluation mode ([Config.Train] off) the crop is centred and nothing is
// mirrored.
//
// The train stage is whoever calls [Pipeline.Next].
//
// # Queues, buffers and counters
//
// The stages meet at bounded queues of [Config.Depth] batches. Buffers go
// round a fixed set and are reused, so a steady-state epoch allocates
// nothing. Every stage counts the batches and bytes it handled, the time it
// was busy, the time it waited for input and the time it was blocked by a
// full output queue; [Pipeline.Counters] reads them at any moment, and the
// stage that is busy nearly all the time while the others wait is the one
// that limits throughput.
//
// # Positions and errors
//
// A pipeline delivers the same batches as a [data.Loader] with the same
// batch size, shuffle, seed and drop-last setting, and starts from any
// [data.Position] with [Pipeline.Seek], so a resumed run continues exactly
// where the interrupted one stopped. A file that is truncated or corrupt,
// found when the source is opened or later while reading, is a
// [*data.FileError] naming the file and the byte offset; a read stage error
// reaches the consumer at its next call to Next.
package pipeline

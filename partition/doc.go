// Package partition is Mariana's model-parallel framework: it cuts a
// network into partitions, places each on a worker of a worker group, and
// trains several worker groups as data-parallel replicas of each other.
//
// # Overview
//
// A [Plan] cuts the layer DAG of a spec into Workers partitions, each a
// topologically sorted subset of the network's layers (or of their
// columns), as [Config] says:
//
//   - split explicit puts every layer whole on the partition its spec
//     entry names (the partition key);
//   - split columns is the two-column split of Krizhevsky et al. (2012),
//     for any number of columns: conv and fc layers are cut by output
//     channels, and the columns meet where a layer reads all channels
//     (Note [Columns]). A layer with a partition key stays whole there.
//
// Wherever a DAG edge crosses partitions the plan puts a Transfer Layer
// on the consuming partition, which copies the activations it needs
// forward into its worker's memory and their gradients back into the
// producer's, so that every layer computes on local data (Note [Transfer
// ordering]). The plan's String is a table of each partition's layers,
// parameter bytes, activation bytes and FLOPs per sample, and of every
// Transfer Layer with its bytes per sample:
//
//	plan: 1 group(s) of 2 worker(s), split columns; the loss on partition 0
//	partition  layers      params    act/sample  transfer/sample   FLOP/sample
//	0              23    45.2 MiB     700.5 KiB         35.4 KiB       125.9 M
//	1              22    45.2 MiB     700.1 KiB         35.2 KiB       125.9 M
//	...
//	  1 -> 0  pool2[1] channels 0:128 of 128  12.5 KiB  for conv3[0]
//
// A [Runner] executes a plan on Groups×Workers CPU devices
// (device.SplitCPUs), one goroutine each with its own compute context and
// solver. Each step every group takes an equal share of the mini-batch;
// the workers of a group run their partitions' forward and backward passes
// at the same time, waiting only for their Transfer Layers; the workers
// that hold the same partition in different groups sum their gradients
// through package exchange (in-process, ordered sums); every worker
// updates its own parameters; and all meet at the end of the step. The
// parameters of every partition start as slices of the whole network's,
// filled from the spec's seed, so a partitioned run computes what the
// whole network computes on one device: bit for bit with split explicit,
// and with split columns exactly forward and up to the order of float32
// additions backward (the tests check 1e-6 relative after several steps).
//
//	r, err := partition.Build(spec, partition.FromSpec(spec), partition.Options{})
//	log.Info("model-parallel plan", "plan", r.Plan())
//	for ... {
//		loss, err := r.Step(x, y)
//	}
//	r.CopyParams(whole) // the trained network, whole, for a checkpoint
//
// # Memory
//
// Note [Memory]. Each worker's device accounts, after every step, the bytes
// it holds: its partition's parameters, their gradients, the solver's
// history, the activations and their gradients (the outputs of its layers
// and plumbing, the gradient buffers of layers read more than once, and
// its group's share of the mini-batch when it reads the data), and the
// Transfer Layers' buffers (received activations and their gradients, and
// the gradients returned to it that it cannot take in place). Scratch
// memory inside layers (im2col columns, pooling indices) is not counted,
// here nor on one device.
//
// BUG(mariana): A worker group's workers run one mini-batch at a time:
// there is no pipelining of micro-batches across partitions, so a split
// explicit plan whose partitions follow each other (layer 1-5 on one
// worker, 6-8 on the next) keeps only one worker busy at a time. Split
// columns, whose partitions compute side by side, is the one that speeds
// training up.
//
// BUG(mariana): Columns must divide evenly: a conv's filters or an fc's
// outputs must be a multiple of the workers, and its groups must divide
// the workers or the other way round; give other layers a partition key.
package partition

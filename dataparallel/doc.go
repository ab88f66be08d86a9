// Package dataparallel is Mariana's first framework: synchronous
// data-parallel training of a network on several devices of one machine,
// or on several processes on one or more hosts, with one replica of the
// whole network per device.
//
// # Overview
//
// Every replica is built from the same spec and seed, so all start with
// the same weights. Each step the global mini-batch is cut into equal
// shares, one per replica, in rank order; a replica's share starts at
// sample SampleOffset of the global mini-batch, so that random layers
// (dropout) draw the masks a single device would. Each replica runs its
// forward and backward passes with every sample's loss weighted by one
// over the global batch, so the replicas' gradients add up to the single
// device's. Then comes the exchange, Mariana's three steps:
//
//	gradient collection   reduce-scatter: the sum of each partition of the
//	                      gradients ends on the member that owns it
//	update                the owner's solver updates the partition
//	model distribution    all-gather: every member gets every partition
//
// Parameters and gradients live in one flat buffer each per replica (Note
// [Flat buffers]), cut into one segment per layer, in the order of the
// backward pass. A segment's exchange starts on a background queue as soon
// as the backward pass has made its gradients final (exchange.Queue and
// model.Net.BackwardNotify), so the exchange overlaps the rest of the
// backward pass. Each segment is cut into partitions on its own, so every
// member owns a slice of every layer and the updates stay balanced.
//
// The algorithm of each segment (Mariana's chain, ring, tree, central) is
// the exchange planner's choice from the topology and the segment's size,
// unless Config.Algorithm overrides it; Plan.String says what was chosen.
//
// Devices of one process share one parameter buffer, so they skip the
// all-gather (Note [Shared parameters]), and the owners of a fully
// connected layer's weight compute its gradient from every replica's
// input and output gradient instead of summing the replicas' gradients
// (Note [Sufficient factors]).
//
// # Solver state
//
// The solver's history (momentum, AdaGrad's sums of squared gradients) of
// a partition lives with its owner, updated from the summed gradient
// (Note [Owner update]); see Note [AdaGrad on replicas] for what that
// saves. Checkpoints hold the whole history under the parameters' names,
// as a single device writes it: a run resumes exactly on the same number
// of devices, and on any other number.
//
// # Groups
//
// A [Group] is the members that live in this process, each on its own
// goroutine attached to its device (device.Device.Attach pins a CPU
// device's goroutine to its cores). [NewLocal] makes a group of in-process
// devices; [NewProcess] makes this process's member of a group of
// processes joined by [Connect] (exchange/tcp). A Group is a train.Engine:
// the train package's loop drives it, and in a group of processes only
// rank 0 reports, evaluates and writes checkpoints, while a process that
// is asked to stop tells the others through the exchange (the stop vote),
// so that all stop after the same step.
//
// # Failures
//
// A stuck device fails an in-process group within Config.Timeout; a dead
// or stuck process fails the others at once or within the transport's I/O
// timeout. The error names the member at fault. A failed group stays
// failed: synchronous training cannot go on without a member, and the job
// restarts from its last checkpoint.
//
// # Note [AdaGrad on replicas]
//
// AdaGrad scales each parameter's step by one over the root of the sum of
// its squared gradients, so besides the gradients every replica that
// applies updates needs those sums. Kept exactly on every replica
// (ReplicatedState), they must travel too: each step the owner of a
// partition sends its new sums with its new parameters, which doubles the
// bytes of the model distribution (measured per step as
// train.StepResult.StateBytes). Mariana's approximation keeps each
// partition's sums only where that partition is updated (OwnerState, the
// default): no replica holds the whole accumulator, and none of it is
// exchanged while training. In this design the owner sees the summed
// gradient of its partition, so its sums are the exact ones and the
// training is bit for bit the same; what is given up is that no device
// but the owner could take over a partition's update without first
// gathering its history (which checkpoints do).
//
// # Scaling model
//
// [MeasureCost] times a step on one device and [Predict] prices the step
// on n members from the exchange's cost model (Note [Scaling model]);
// mariana bench --predict prints the table.
//
// BUG(mariana): A non-finite loss is noticed after the step's exchange,
// because the loss sum travels with the gradients; the replicas' parameters
// are then already updated with the bad gradients. The run stops at that
// step as on one device, and the last checkpoint, written before, stays the
// last good one.
//
// BUG(mariana): In a group of processes the other members wait in the
// exchange while rank 0 evaluates or writes a checkpoint; Peers.IOTimeout
// must be longer than that. Every process reads the data, and on resume the
// checkpoint, from its own disk.
//
// BUG(mariana): Between processes of one host every exchanged byte is
// copied twice by the kernel and checksummed twice on the cores that
// compute, so processes reach a fraction of in-process devices' speed on
// a small machine; a shared-memory transport would remove that.
package dataparallel

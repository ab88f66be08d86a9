// Package train runs the training loop: mini-batches from a data loader
// through a network's forward and backward passes into a solver's update,
// with periodic evaluation on the test set, periodic checkpoints and exact
// resume.
//
// A step is one mini-batch: forward, backward, update. An [Engine] computes
// it: [Single] on one device, or the data-parallel framework's group of
// replicas (package dataparallel), which the same loop drives. The loop
// knows nothing of processes or terminals: it reports what happens to a
// [Reporter] and returns errors. In a group of processes every member runs
// the loop, and only the leader's reports, evaluates and writes
// checkpoints.
package train

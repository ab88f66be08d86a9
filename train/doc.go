// Package train runs the single-device training loop: mini-batches from a
// data loader through a network's forward and backward passes into a
// solver's update, with periodic evaluation on the test set, periodic
// checkpoints and exact resume.
//
// The loop knows nothing of processes or terminals: it reports what happens
// to a [Reporter] and returns errors. A step is one mini-batch: forward,
// backward, update.
package train

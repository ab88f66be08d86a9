// Package model turns a list of layers into a network: a DAG of named layers
// ([Graph]) with its shapes inferred, and the execution of that DAG on one
// device ([Net]): forward, backward, and the buffers between layers.
//
// The graph is kept apart from its execution so that the frameworks can cut
// one graph into partitions, each executed by its own Net on its own device,
// and so that a replica of the whole graph can be executed per device.
//
// Two names are reserved for the inputs of a step: "data", the mini-batch of
// samples (N, C, H, W), and "label", their class indices (N, 1).
package model

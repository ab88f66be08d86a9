// Package layer holds Mariana's layers: fully connected, 2-D convolution,
// max and average pooling, ReLU, sigmoid, tanh, dropout, local response
// normalisation and softmax with cross-entropy loss, plus the weight
// initialisers.
//
// A [Layer] is a node of the network DAG. It is set up once with the
// per-sample shapes of its inputs, then runs Forward and Backward on batches
// of any size. Layers hold their parameters ([Param]) and private scratch
// buffers but no global state: what a computation may use (the matrix
// product, the threads, the phase, the step) comes in a [Context], so the
// same layer type can run on any device and in any partition.
//
// Shapes are N, C, H, W for images and N, C for vectors; a shape without N
// is a per-sample shape.
package layer

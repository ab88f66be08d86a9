// Package tensor holds Mariana's dense float32 tensors and the small vector
// kernels that every layer and optimiser shares.
//
// A Tensor is a flat float32 slice with a Shape. Activations are laid out
// N, C, H, W (batch, channels, height, width, row-major); a fully connected
// activation is N, C. Parameters have whatever shape their layer documents.
// Tensors carry no device or global state: placing them on devices is the
// frameworks' job.
package tensor

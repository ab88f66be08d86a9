// Package device models a unit of compute with its own memory: the place a
// model replica or a model partition lives.
//
// Today every device is a CPU device: a share of the machine's cores (its
// matrix products and loops use only that many threads) and an account of
// the bytes it holds, by kind (parameters, gradients, solver state,
// activations, transfer buffers), with their peak. [SplitPinnedCPUs] also
// gives each device cores of its own, and [CPU.Attach] pins the goroutine
// that drives the device to them, so that devices do not compete for a
// core. A GPU device is meant to fit behind the same [Device] interface
// (its Attach makes its context current, its Context carries its BLAS),
// so the frameworks place replicas and partitions on devices without
// knowing their kind.
package device

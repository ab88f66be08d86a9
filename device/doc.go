// Package device models a unit of compute with its own memory: the place a
// model replica or a model partition lives.
//
// Today every device is a CPU device: a share of the machine's cores (its
// matrix products and loops use only that many threads) and an account of
// the bytes it holds. A GPU device is meant to fit behind the same [Device]
// interface, so the frameworks place replicas and partitions on devices
// without knowing their kind.
package device

// Package auto picks the fastest [blas.Impl] the build has: blas/openblas
// when cgo is enabled, blas/native when it is not (CGO_ENABLED=0, or a
// cross-compile without a C toolchain). Callers that just want products
// done use [New] and stay free of build tags themselves.
package auto

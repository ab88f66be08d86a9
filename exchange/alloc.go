package exchange

// Allocator is implemented by a Transport that can place buffers where
// the members on its host read them directly: a Send of a slice that lies
// inside such a buffer may pass the slice by reference, and the receiver
// then copies or adds straight from the sender's memory, as in-process
// members do. Send keeps its contract: the caller may change the data as
// soon as Send returns, because Send waits until the receiver has taken it.
//
// Transports that cannot share memory with a peer return ordinary memory,
// so a caller may use Alloc whenever the Transport implements it.
type Allocator interface {
	// Alloc returns n zeroed values. Collectives and callers use the
	// buffer like any other slice; only sends from inside it may skip a
	// copy. It stays valid until Free, after Close too.
	Alloc(n int) ([]float32, error)

	// Free releases a buffer that Alloc returned. Neither the caller nor
	// any operation of the transport may use the buffer after; a slice
	// that Alloc did not return is left alone.
	Free(buf []float32) error
}

// Package vec holds the few float32 kernels the exchange needs: an
// elementwise add, and the conversion between float32 slices and their
// little-endian wire bytes.
//
// On a little-endian machine the wire bytes of a float32 slice are its
// memory, so Bytes views a slice without copying and the transports read
// and write float32 data in place. Encode, Decode and AddEncoded are the
// portable path that works on any machine; the transports use them when
// LittleEndian is false, and the tests run them everywhere.
package vec

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/mariana-dl/mariana/internal/kernel"
)

// LittleEndian reports whether float32 memory is laid out as the wire
// format (little-endian IEEE 754), so that Bytes views are wire bytes.
var LittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// Add sets dst[i] += src[i] for every i of dst. src must be at least as
// long as dst. Each element is one float32 addition, so the result does
// not depend on how the loop is vectorised (kernel.Add, AVX where the CPU
// has it).
func Add(dst, src []float32) { kernel.Add(dst, src) }

// Bytes views f as bytes, without copying: 4*len(f) bytes sharing f's
// memory. They are f's little-endian wire bytes only when LittleEndian.
func Bytes(f []float32) []byte {
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&f[0])), 4*len(f))
}

// Encode writes src as little-endian float32 bytes into dst, which must
// hold 4*len(src) bytes.
func Encode(dst []byte, src []float32) {
	dst = dst[:4*len(src)]
	for i, v := range src {
		binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
	}
}

// Decode reads len(dst) little-endian float32 values from src.
func Decode(dst []float32, src []byte) {
	src = src[:4*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

// AddEncoded adds len(dst) little-endian float32 values read from src to
// dst, element by element, as Add does.
func AddEncoded(dst []float32, src []byte) {
	src = src[:4*len(dst)]
	for i := range dst {
		dst[i] += math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

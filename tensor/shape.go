package tensor

import (
	"strconv"
	"strings"
)

// Shape is the extent of each dimension of a tensor, outermost first.
type Shape []int

// Size returns the number of elements a tensor of this shape holds; the
// empty shape holds one (a scalar).
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// Equal reports whether s and o have the same dimensions.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of s that shares no memory with it.
func (s Shape) Clone() Shape {
	return append(Shape(nil), s...)
}

// WithBatch returns the shape of a batch of n samples of shape s.
func (s Shape) WithBatch(n int) Shape {
	return append(Shape{n}, s...)
}

// String formats s as 2x3x4.
func (s Shape) String() string {
	if len(s) == 0 {
		return "scalar"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}

package tensor

import (
	"fmt"
	"log/slog"
)

// Tensor is a dense float32 array. Data holds Shape.Size() elements in
// row-major order. The zero Tensor is an empty scalar-less value; build
// tensors with [New] or [FromData].
type Tensor struct {
	Shape Shape
	Data  []float32
}

// New returns a zeroed tensor of the given shape.
func New(shape ...int) *Tensor {
	s := Shape(shape).Clone()
	return &Tensor{Shape: s, Data: make([]float32, s.Size())}
}

// FromData wraps data in a tensor of the given shape without copying. It
// returns an error when the lengths disagree.
func FromData(shape Shape, data []float32) (*Tensor, error) {
	if shape.Size() != len(data) {
		return nil, fmt.Errorf("tensor: shape %v needs %d elements, got %d",
			shape, shape.Size(), len(data))
	}
	return &Tensor{Shape: shape.Clone(), Data: data}, nil
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Bytes returns the memory the elements occupy, for device accounting.
func (t *Tensor) Bytes() int64 { return int64(len(t.Data)) * 4 }

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.Data) }

// Batch returns the size of the outermost dimension, or 1 for a scalar.
func (t *Tensor) Batch() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return t.Shape[0]
}

// SampleLen returns the number of elements per sample (all dimensions but
// the outermost).
func (t *Tensor) SampleLen() int {
	if len(t.Shape) == 0 {
		return 1
	}
	return Shape(t.Shape[1:]).Size()
}

// Resize makes t hold a batch of n samples of shape sample, reusing its
// backing array when it is large enough, so that steady-state training
// allocates nothing. The contents are not preserved.
func (t *Tensor) Resize(sample Shape, n int) {
	size := n * sample.Size()
	if cap(t.Data) < size {
		t.Data = make([]float32, size)
	}
	t.Data = t.Data[:size]
	if len(t.Shape) != len(sample)+1 {
		t.Shape = make(Shape, len(sample)+1)
	}
	t.Shape[0] = n
	copy(t.Shape[1:], sample)
}

// Rows returns a view of samples [lo, hi) of t, sharing its memory.
func (t *Tensor) Rows(lo, hi int) *Tensor {
	per := t.SampleLen()
	s := t.Shape.Clone()
	s[0] = hi - lo
	return &Tensor{Shape: s, Data: t.Data[lo*per : hi*per]}
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: t.Shape.Clone(), Data: append([]float32(nil), t.Data...)}
}

// LogValue reports the shape only: tensors are never logged by content.
func (t *Tensor) LogValue() slog.Value {
	return slog.StringValue("tensor(" + t.Shape.String() + ")")
}

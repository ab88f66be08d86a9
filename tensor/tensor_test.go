package tensor

import (
	"math"
	"testing"
)

func TestResizeReusesMemory(t *testing.T) {
	var x Tensor
	x.Resize(Shape{3, 4}, 8)
	if !x.Shape.Equal(Shape{8, 3, 4}) || x.Len() != 96 {
		t.Fatalf("shape %v len %d, want 8x3x4 and 96", x.Shape, x.Len())
	}
	before := &x.Data[0]
	x.Resize(Shape{3, 4}, 2)
	if &x.Data[0] != before || x.Len() != 24 || x.Batch() != 2 || x.SampleLen() != 12 {
		t.Fatalf("shrinking reallocated or mis-sized: len %d batch %d", x.Len(), x.Batch())
	}
	if allocs := testing.AllocsPerRun(10, func() { x.Resize(Shape{3, 4}, 8) }); allocs != 0 {
		t.Errorf("growing back within capacity allocates %v times", allocs)
	}
}

func TestRowsIsAView(t *testing.T) {
	x := New(4, 2)
	for i := range x.Data {
		x.Data[i] = float32(i)
	}
	r := x.Rows(1, 3)
	if !r.Shape.Equal(Shape{2, 2}) || r.Data[0] != 2 || r.Data[3] != 5 {
		t.Fatalf("rows 1..3 = %v %v", r.Shape, r.Data)
	}
	r.Data[0] = 100
	if x.Data[2] != 100 {
		t.Error("Rows copied instead of sharing memory")
	}
	if c := x.Clone(); &c.Data[0] == &x.Data[0] {
		t.Error("Clone shares memory")
	}
}

func TestFromDataChecksLength(t *testing.T) {
	if _, err := FromData(Shape{2, 3}, make([]float32, 5)); err == nil {
		t.Error("5 values accepted for a 2x3 shape")
	}
	x, err := FromData(Shape{2, 3}, make([]float32, 6))
	if err != nil || x.Bytes() != 24 {
		t.Errorf("FromData: %v, %d bytes", err, x.Bytes())
	}
}

func TestVectorKernels(t *testing.T) {
	x := []float32{1, 2, 3}
	y := []float32{10, 20, 30}
	Axpy(2, x, y)
	if y[0] != 12 || y[2] != 36 {
		t.Errorf("axpy gave %v", y)
	}
	Scale(0.5, y)
	if y[1] != 12 {
		t.Errorf("scale gave %v", y)
	}
	dst := make([]float32, 3)
	Add(dst, x, x)
	if dst[2] != 6 || Dot(x, x) != 14 {
		t.Errorf("add %v dot %v", dst, Dot(x, x))
	}
	if !AllFinite(x) || AllFinite([]float32{1, float32(math.NaN())}) ||
		AllFinite([]float32{float32(math.Inf(-1))}) {
		t.Error("AllFinite misjudges")
	}
}

func TestShapeString(t *testing.T) {
	if s := (Shape{64, 1, 28, 28}).String(); s != "64x1x28x28" {
		t.Errorf("got %q", s)
	}
	if (Shape{}).String() != "scalar" || (Shape{2, 3}).Size() != 6 || (Shape{}).Size() != 1 {
		t.Error("scalar shape misreported")
	}
}

package layer_test

import (
	"errors"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

// concatReference builds out[n, c, rest] by taking channel c from the
// input that holds it: channels of input 0 first, then of input 1, ...
func concatReference(shapes []tensor.Shape) gradcheck.Reference {
	return func(in, _ [][]float64) []float64 {
		inner := tensor.Shape(shapes[0][1:]).Size()
		total := 0
		for _, s := range shapes {
			total += s[0]
		}
		n := len(in[0]) / shapes[0].Size()
		out := make([]float64, 0, n*total*inner)
		for s := 0; s < n; s++ {
			for c := 0; c < total; c++ {
				input, ch := 0, c
				for ch >= shapes[input][0] {
					ch -= shapes[input][0]
					input++
				}
				channels := shapes[input][0]
				start := (s*channels + ch) * inner
				out = append(out, in[input][start:start+inner]...)
			}
		}
		return out
	}
}

func TestConcatGradient(t *testing.T) {
	for _, tc := range []struct {
		name   string
		shapes []tensor.Shape
		out    tensor.Shape
	}{
		{"images", []tensor.Shape{{2, 3, 2}, {1, 3, 2}, {3, 3, 2}}, tensor.Shape{6, 3, 2}},
		{"vectors", []tensor.Shape{{4}, {3}}, tensor.Shape{7}},
		{"one input", []tensor.Shape{{2, 2, 2}}, tensor.Shape{2, 2, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := layer.NewConcat("cat")
			gradcheck.Check(t, gradcheck.Case{
				Layer:     l,
				In:        tc.shapes,
				Batch:     3,
				Reference: concatReference(tc.shapes),
			})
			out, err := layer.NewConcat("cat").Setup(tc.shapes)
			if err != nil || !out.Equal(tc.out) {
				t.Errorf("Setup = %v, %v; want %v", out, err, tc.out)
			}
		})
	}
}

func TestConcatSetupErrors(t *testing.T) {
	for _, tc := range []struct {
		in  []tensor.Shape
		msg string
	}{
		{nil, "layer: cat: takes at least 1 input, got 0"},
		{[]tensor.Shape{{}}, "layer: cat: input 0 is a scalar; concat joins along channels"},
		{[]tensor.Shape{{2, 4, 4}, {2, 4, 5}},
			"layer: cat: input 1 has shape 2x4x5, which does not match input 0's 2x4x4 " +
				"but for channels"},
		{[]tensor.Shape{{2, 4, 4}, {2}},
			"layer: cat: input 1 has shape 2, which does not match input 0's 2x4x4 " +
				"but for channels"},
	} {
		_, err := layer.NewConcat("cat").Setup(tc.in)
		if err == nil || err.Error() != tc.msg || !errors.Is(err, layer.ErrShape) {
			t.Errorf("Setup(%v) = %v, want %q", tc.in, err, tc.msg)
		}
	}
}

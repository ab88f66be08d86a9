package layer_test

import (
	"errors"
	"math"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

// elementwise returns the Reference of out[i] = f(x[i]).
func elementwise(f func(float64) float64) gradcheck.Reference {
	return func(in, _ [][]float64) []float64 {
		out := make([]float64, len(in[0]))
		for i, x := range in[0] {
			out[i] = f(x)
		}
		return out
	}
}

func TestActivationGradients(t *testing.T) {
	for _, tc := range []struct {
		l   layer.Layer
		typ string
		f   func(float64) float64
		gen gradcheck.Generator
	}{
		// Distinct keeps every input at least 1/n from ReLU's kink.
		{layer.NewReLU("r"), "relu", func(x float64) float64 { return max(x, 0) },
			gradcheck.Distinct},
		{layer.NewSigmoid("s"), "sigmoid",
			func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, nil},
		{layer.NewTanh("t"), "tanh", math.Tanh, nil},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			if tc.l.Type() != tc.typ {
				t.Errorf("Type() = %q, want %q", tc.l.Type(), tc.typ)
			}
			gradcheck.Check(t, gradcheck.Case{
				Layer:     tc.l,
				In:        []tensor.Shape{{2, 3, 2}},
				Reference: elementwise(tc.f),
				Gen:       tc.gen,
			})
		})
	}
}

// TestActivationsLarge runs batches above the threshold where the loops
// split among threads, so that Check's 1-versus-3-threads comparison covers
// the parallel path.
func TestActivationsLarge(t *testing.T) {
	for _, tc := range []struct {
		l layer.Layer
		f func(float64) float64
	}{
		{layer.NewReLU("r"), func(x float64) float64 { return max(x, 0) }},
		{layer.NewSigmoid("s"), func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
		{layer.NewTanh("t"), math.Tanh},
	} {
		t.Run(tc.l.Type(), func(t *testing.T) {
			gradcheck.Check(t, gradcheck.Case{
				Layer:     tc.l,
				In:        []tensor.Shape{{1 << 14}},
				Batch:     3,
				Reference: elementwise(tc.f),
				Gen:       gradcheck.Distinct,
				MaxElems:  40,
			})
		})
	}
}

func TestActivationExtremes(t *testing.T) {
	ctx := gradcheck.NewContext(1)
	x := tensor.New(1, 5)
	copy(x.Data, []float32{-1e30, -100, 0, 100, 1e30})
	for _, tc := range []struct {
		l    layer.Layer
		want []float32
	}{
		{layer.NewReLU("r"), []float32{0, 0, 0, 100, 1e30}},
		{layer.NewSigmoid("s"), []float32{0, 0, 0.5, 1, 1}},
		{layer.NewTanh("t"), []float32{-1, -1, 0, 1, 1}},
	} {
		if _, err := tc.l.Setup([]tensor.Shape{{5}}); err != nil {
			t.Fatal(err)
		}
		out := tensor.New(1, 5)
		tc.l.Forward(ctx, []*tensor.Tensor{x}, out)
		for i, v := range out.Data {
			if math.Abs(float64(v-tc.want[i])) > 1e-6 {
				t.Errorf("%s(%v) = %v, want %v", tc.l.Type(), x.Data[i], v, tc.want[i])
			}
		}
	}
}

func TestReLUPassesNaN(t *testing.T) {
	l := layer.NewReLU("r")
	if _, err := l.Setup([]tensor.Shape{{1}}); err != nil {
		t.Fatal(err)
	}
	x, out := tensor.New(1, 1), tensor.New(1, 1)
	x.Data[0] = float32(math.NaN())
	l.Forward(gradcheck.NewContext(1), []*tensor.Tensor{x}, out)
	if !math.IsNaN(float64(out.Data[0])) {
		t.Errorf("relu(NaN) = %v, want NaN", out.Data[0])
	}
}

func TestActivationSetupErrors(t *testing.T) {
	_, err := layer.NewTanh("t1").Setup([]tensor.Shape{{3}, {3}})
	want := "layer: t1: takes 1 input, got 2"
	if err == nil || err.Error() != want || !errors.Is(err, layer.ErrShape) {
		t.Errorf("Setup with 2 inputs: %v", err)
	}
}

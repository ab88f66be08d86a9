package layer_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// initFC sets up and initialises a fully connected layer with k inputs and
// the given outputs, and returns its weight and bias.
func initFC(t *testing.T, k, outputs int, w, b layer.Fill, seed uint64) ([]float32, []float32) {
	t.Helper()
	l := layer.NewFullyConnected("fc", layer.FullyConnectedConfig{
		Outputs: outputs, WeightFill: w, BiasFill: b,
	})
	if _, err := l.Setup([]tensor.Shape{{k}}); err != nil {
		t.Fatal(err)
	}
	l.Init(seed)
	return l.Params()[0].Value.Data, l.Params()[1].Value.Data
}

// moments returns the mean and standard deviation of x.
func moments(x []float32) (mean, std float64) {
	for _, v := range x {
		mean += float64(v)
	}
	mean /= float64(len(x))
	for _, v := range x {
		std += (float64(v) - mean) * (float64(v) - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)))
}

func TestFills(t *testing.T) {
	const k, outputs = 300, 100 // 30000 draws: moments within a few percent
	for _, tc := range []struct {
		name      string
		fill      layer.Fill
		mean, std float64
		lo, hi    float64 // every value in [lo, hi]
	}{
		{"constant", layer.Fill{Kind: layer.FillConstant, Value: 0.25}, 0.25, 0, 0.25, 0.25},
		{"gaussian", layer.Fill{Kind: layer.FillGaussian, Mean: 1, Std: 2}, 1, 2,
			-math.MaxFloat32, math.MaxFloat32},
		{"uniform", layer.Fill{Kind: layer.FillUniform, Min: -1, Max: 3}, 1, 4 / math.Sqrt(12),
			-1, 3},
		{"xavier", layer.Fill{Kind: layer.FillXavier}, 0, math.Sqrt(6.0/400) / math.Sqrt(3),
			-math.Sqrt(6.0 / 400), math.Sqrt(6.0 / 400)},
		{"he", layer.Fill{Kind: layer.FillHe}, 0, math.Sqrt(2.0 / k),
			-math.MaxFloat32, math.MaxFloat32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := initFC(t, k, outputs, tc.fill, layer.Fill{}, 7)
			mean, std := moments(w)
			if math.Abs(mean-tc.mean) > 0.03*max(tc.std, 1e-9)+1e-7 {
				t.Errorf("mean %v, want %v", mean, tc.mean)
			}
			if math.Abs(std-tc.std) > 0.03*tc.std+1e-7 {
				t.Errorf("std %v, want %v", std, tc.std)
			}
			for _, v := range w {
				if float64(v) < tc.lo || float64(v) > tc.hi {
					t.Fatalf("value %v outside [%v, %v]", v, tc.lo, tc.hi)
				}
			}
		})
	}
}

func TestFillDefaultsAndSeeds(t *testing.T) {
	w, b := initFC(t, 50, 40, layer.Fill{}, layer.Fill{}, 1)
	bound := float32(math.Sqrt(6.0 / 90))
	_, std := moments(w)
	if math.Abs(std-float64(bound)/math.Sqrt(3)) > 0.05*float64(bound) {
		t.Errorf("default weight fill: std %v, want xavier's %v", std, float64(bound)/math.Sqrt(3))
	}
	for _, v := range b {
		if v != 0 {
			t.Fatalf("default bias fill gave %v, want 0", v)
		}
	}

	again, _ := initFC(t, 50, 40, layer.Fill{}, layer.Fill{}, 1)
	other, _ := initFC(t, 50, 40, layer.Fill{}, layer.Fill{}, 2)
	if !slices.Equal(w, again) {
		t.Error("the same seed gave different weights")
	}
	if slices.Equal(w, other) {
		t.Error("different seeds gave the same weights")
	}
}

func TestFillValidation(t *testing.T) {
	for _, tc := range []struct {
		fill layer.Fill
		msg  string
	}{
		{layer.Fill{Kind: "zeros"}, `layer: fc: weight_fill: unknown type "zeros" ` +
			`(want constant, gaussian, uniform, xavier or he)`},
		{layer.Fill{Kind: layer.FillGaussian, Std: float32(math.NaN())},
			"layer: fc: weight_fill: std must be finite and non-negative, got NaN"},
		{layer.Fill{Kind: layer.FillUniform, Min: 2, Max: 1},
			"layer: fc: weight_fill: min 2 must not exceed max 1"},
	} {
		l := layer.NewFullyConnected("fc", layer.FullyConnectedConfig{
			Outputs: 2, WeightFill: tc.fill,
		})
		_, err := l.Setup([]tensor.Shape{{3}})
		if err == nil || err.Error() != tc.msg || !errors.Is(err, layer.ErrConfig) {
			t.Errorf("%+v: got %v, want %q", tc.fill, err, tc.msg)
		}
	}
}

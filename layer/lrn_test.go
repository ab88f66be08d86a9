package layer_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

// lrnReference normalises across channels from the definition in float64,
// summing the squares of the clipped window afresh at every element.
func lrnReference(in tensor.Shape, cfg layer.LRNConfig) gradcheck.Reference {
	c := in[0]
	spatial := in.Size() / c
	half := (cfg.Size - 1) / 2
	return func(x, _ [][]float64) []float64 {
		out := make([]float64, len(x[0]))
		for n := 0; n < len(x[0])/in.Size(); n++ {
			for ch := 0; ch < c; ch++ {
				for i := 0; i < spatial; i++ {
					var sq float64
					for cc := ch - half; cc <= ch+half; cc++ {
						if cc >= 0 && cc < c {
							v := x[0][(n*c+cc)*spatial+i]
							sq += v * v
						}
					}
					scale := float64(cfg.K) + float64(cfg.Alpha)/float64(cfg.Size)*sq
					j := (n*c+ch)*spatial + i
					out[j] = x[0][j] * math.Pow(scale, -float64(cfg.Beta))
				}
			}
		}
		return out
	}
}

func TestLRNGradient(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   tensor.Shape
		cfg  layer.LRNConfig
	}{
		// Alpha large enough that the cross-channel term of the gradient
		// is well above the tolerance.
		{"size 5 clipped", tensor.Shape{7, 3, 2},
			layer.LRNConfig{Size: 5, Alpha: 2, Beta: 0.75, K: 1}},
		{"size 3", tensor.Shape{4, 2, 3},
			layer.LRNConfig{Size: 3, Alpha: 1.5, Beta: 0.75, K: 2}},
		{"general beta", tensor.Shape{6, 2, 2},
			layer.LRNConfig{Size: 5, Alpha: 3, Beta: 0.6, K: 1.5}},
		{"window wider than channels", tensor.Shape{3, 2, 2},
			layer.LRNConfig{Size: 9, Alpha: 4, Beta: 1.2, K: 1}},
		{"size 1", tensor.Shape{3, 3, 1},
			layer.LRNConfig{Size: 1, Alpha: 1, Beta: 0.5, K: 1}},
		{"vector input", tensor.Shape{8},
			layer.LRNConfig{Size: 3, Alpha: 2, Beta: 0.75, K: 1}},
		{"defaults", tensor.Shape{8, 3, 3}, layer.LRNConfig{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := layer.NewLRN("norm1", tc.cfg)
			gradcheck.Check(t, gradcheck.Case{
				Layer:     l,
				In:        []tensor.Shape{tc.in},
				Batch:     3,
				Reference: lrnReference(tc.in, l.Config()),
			})
		})
	}
}

func TestLRNDefaults(t *testing.T) {
	got := layer.NewLRN("norm1", layer.LRNConfig{}).Config()
	want := layer.LRNConfig{Size: 5, Alpha: 1e-4, Beta: 0.75, K: 1}
	if got != want {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
	l := layer.NewLRN("norm1", layer.LRNConfig{})
	shape, err := l.Setup([]tensor.Shape{{96, 55, 55}})
	if err != nil {
		t.Fatal(err)
	}
	if !shape.Equal(tensor.Shape{96, 55, 55}) {
		t.Errorf("output shape %v, want the input's", shape)
	}
	if f, want := l.ForwardFLOPs(), int64(96*55*55*15); f != want {
		t.Errorf("ForwardFLOPs %d, want %d", f, want)
	}
}

func TestLRNSetupErrors(t *testing.T) {
	good := layer.LRNConfig{Size: 5, Alpha: 1e-4, Beta: 0.75, K: 1}
	for _, tc := range []struct {
		name   string
		in     []tensor.Shape
		edit   func(*layer.LRNConfig)
		target error
		want   string
	}{
		{"size even", nil, func(c *layer.LRNConfig) { c.Size = 4 },
			layer.ErrConfig, "layer: norm1: size must be a positive odd number, got 4"},
		{"size negative", nil, func(c *layer.LRNConfig) { c.Size = -3 },
			layer.ErrConfig, "size must be a positive odd number, got -3"},
		{"alpha", nil, func(c *layer.LRNConfig) { c.Alpha = -1 },
			layer.ErrConfig, "alpha must be positive and finite, got -1"},
		{"beta", nil, func(c *layer.LRNConfig) { c.Beta = float32(math.NaN()) },
			layer.ErrConfig, "beta must be positive and finite, got NaN"},
		{"k", nil, func(c *layer.LRNConfig) { c.K = float32(math.Inf(1)) },
			layer.ErrConfig, "k must be positive and finite, got +Inf"},
		{"two inputs", []tensor.Shape{{3, 4, 4}, {3, 4, 4}}, func(c *layer.LRNConfig) {},
			layer.ErrShape, "takes 1 input, got 2"},
		{"scalar input", []tensor.Shape{{}}, func(c *layer.LRNConfig) {},
			layer.ErrShape, "has no channels"},
		{"empty input", []tensor.Shape{{0, 4, 4}}, func(c *layer.LRNConfig) {},
			layer.ErrShape, "has no channels"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			in := tc.in
			if in == nil {
				in = []tensor.Shape{{3, 4, 4}}
			}
			_, err := layer.NewLRN("norm1", cfg).Setup(in)
			if err == nil {
				t.Fatalf("Setup succeeded, want error containing %q", tc.want)
			}
			if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want %v containing %q", err, tc.target, tc.want)
			}
		})
	}
}

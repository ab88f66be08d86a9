package layer_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/blas/native"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

// fcReference is out[n,o] = Σ_k x[n,k]·W[o,k] + b[o], straight from the
// definition.
func fcReference(outputs int, bias bool) gradcheck.Reference {
	return func(in, params [][]float64) []float64 {
		x, w := in[0], params[0]
		k := len(w) / outputs
		n := len(x) / k
		out := make([]float64, n*outputs)
		for i := 0; i < n; i++ {
			for o := 0; o < outputs; o++ {
				var s float64
				for j := 0; j < k; j++ {
					s += x[i*k+j] * w[o*k+j]
				}
				if bias {
					s += params[1][o]
				}
				out[i*outputs+o] = s
			}
		}
		return out
	}
}

func TestFullyConnectedGradient(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     tensor.Shape
		cfg    layer.FullyConnectedConfig
		batch  int
		params int
	}{
		{"vector", tensor.Shape{7}, layer.FullyConnectedConfig{Outputs: 5}, 4, 2},
		{"image flattened", tensor.Shape{3, 2, 2}, layer.FullyConnectedConfig{Outputs: 6}, 3, 2},
		{"no bias", tensor.Shape{4}, layer.FullyConnectedConfig{Outputs: 3, NoBias: true}, 5, 1},
		// Larger than the numeric sample, so a random subset is checked.
		{"sampled", tensor.Shape{40}, layer.FullyConnectedConfig{Outputs: 20}, 2, 2},
		// Products large enough for OpenBLAS's own threads, over a k that
		// its one-thread and threaded drivers would cut differently: the
		// check that outputs and gradients are the same on 1 and 3 threads
		// covers blas/openblas's Note [Same bits on any thread count].
		{"wide", tensor.Shape{4, 7, 12}, layer.FullyConnectedConfig{Outputs: 300}, 10, 2},
		// The forward product computed transposed (Note [Forward product
		// transposed]): k a multiple of 32 above 256, outputs and batch
		// that leave partial tiles in the transpose back.
		{"transposed", tensor.Shape{320}, layer.FullyConnectedConfig{Outputs: 260}, 7, 2},
		{"transposed no bias", tensor.Shape{2, 16, 9},
			layer.FullyConnectedConfig{Outputs: 270, NoBias: true}, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := layer.NewFullyConnected("fc1", tc.cfg)
			gradcheck.Check(t, gradcheck.Case{
				Layer:     l,
				In:        []tensor.Shape{tc.in},
				Batch:     tc.batch,
				Reference: fcReference(tc.cfg.Outputs, !tc.cfg.NoBias),
			})
			if got := len(l.Params()); got != tc.params {
				t.Errorf("%d params, want %d", got, tc.params)
			}
			if want := int64(2 * tc.in.Size() * tc.cfg.Outputs); l.ForwardFLOPs() != want {
				t.Errorf("ForwardFLOPs = %d, want %d", l.ForwardFLOPs(), want)
			}
		})
	}
}

func TestFullyConnectedParams(t *testing.T) {
	l := layer.NewFullyConnected("fc1", layer.FullyConnectedConfig{Outputs: 3})
	out, err := l.Setup([]tensor.Shape{{2, 4, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Equal(tensor.Shape{3}) {
		t.Errorf("output shape %v, want 3", out)
	}
	w, b := l.Params()[0], l.Params()[1]
	if w.Name != "fc1.weight" || !w.Value.Shape.Equal(tensor.Shape{3, 32}) || w.DecayMult != 1 {
		t.Errorf("weight: %s %v decay %v", w.Name, w.Value.Shape, w.DecayMult)
	}
	if b.Name != "fc1.bias" || !b.Value.Shape.Equal(tensor.Shape{3}) || b.DecayMult != 0 {
		t.Errorf("bias: %s %v decay %v", b.Name, b.Value.Shape, b.DecayMult)
	}
	if l.Type() != "fc" || l.Name() != "fc1" {
		t.Errorf("type %q name %q", l.Type(), l.Name())
	}
}

func TestFullyConnectedSetupErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  layer.FullyConnectedConfig
		in   []tensor.Shape
		kind error
		msg  string
	}{
		{layer.FullyConnectedConfig{}, []tensor.Shape{{4}}, layer.ErrConfig,
			"layer: fc1: outputs must be positive, got 0"},
		{layer.FullyConnectedConfig{Outputs: -2}, []tensor.Shape{{4}}, layer.ErrConfig,
			"layer: fc1: outputs must be positive, got -2"},
		{layer.FullyConnectedConfig{Outputs: 2}, []tensor.Shape{{4}, {4}}, layer.ErrShape,
			"layer: fc1: takes 1 input, got 2"},
		{layer.FullyConnectedConfig{Outputs: 2}, []tensor.Shape{{0, 3}}, layer.ErrShape,
			"layer: fc1: input shape 0x3 is empty"},
		{layer.FullyConnectedConfig{Outputs: 2,
			WeightFill: layer.Fill{Kind: "glorot"}}, []tensor.Shape{{4}}, layer.ErrConfig,
			`layer: fc1: weight_fill: unknown type "glorot" ` +
				`(want constant, gaussian, uniform, xavier or he)`},
		{layer.FullyConnectedConfig{Outputs: 2,
			BiasFill: layer.Fill{Kind: layer.FillGaussian, Std: -1}}, []tensor.Shape{{4}},
			layer.ErrConfig, "layer: fc1: bias_fill: std must be finite and non-negative, got -1"},
	} {
		_, err := layer.NewFullyConnected("fc1", tc.cfg).Setup(tc.in)
		if err == nil || err.Error() != tc.msg || !errors.Is(err, tc.kind) {
			t.Errorf("Setup(%+v, %v) = %v, want %q wrapping %v",
				tc.cfg, tc.in, err, tc.msg, tc.kind)
		}
	}
}

// BenchmarkFullyConnected times a forward and backward pass of the MLP's
// first layer: batch 128, 784 inputs, 1024 outputs.
func BenchmarkFullyConnected(b *testing.B) {
	const batch = 128
	l := layer.NewFullyConnected("fc1", layer.FullyConnectedConfig{Outputs: 1024})
	shape, err := l.Setup([]tensor.Shape{{784}})
	if err != nil {
		b.Fatal(err)
	}
	l.Init(1)
	x := tensor.New(batch, 784)
	rng := rand.New(rand.NewPCG(1, 2))
	gradcheck.Uniform(0, x.Data, rng)
	out, dOut := tensor.New(shape.WithBatch(batch)...), tensor.New(shape.WithBatch(batch)...)
	gradcheck.Uniform(0, dOut.Data, rng)
	dx := tensor.New(batch, 784)
	ctx := gradcheck.NewContext(1)

	b.ReportAllocs()
	for b.Loop() {
		l.Forward(ctx, []*tensor.Tensor{x}, out)
		l.Backward(ctx, []*tensor.Tensor{x}, out, dOut, []*tensor.Tensor{dx})
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
}

// TestFullyConnectedLeavesWeightGrad checks layer.Factored: with the weight
// gradient left to the caller, Backward does not touch it, computes the
// bias and input gradients as before, and the factors give dW = dOutᵀ·x.
func TestFullyConnectedLeavesWeightGrad(t *testing.T) {
	const n, k, outputs = 3, 5, 4
	rng := rand.New(rand.NewPCG(5, 6))
	l := layer.NewFullyConnected("fc1", layer.FullyConnectedConfig{Outputs: outputs})
	if _, err := l.Setup([]tensor.Shape{{k}}); err != nil {
		t.Fatal(err)
	}
	l.Init(1)
	ctx := &layer.Context{BLAS: native.New(1), SerialBLAS: native.New(1), Threads: 1}
	x, out, dOut := tensor.New(n, k), tensor.New(n, outputs), tensor.New(n, outputs)
	for _, tt := range []*tensor.Tensor{x, dOut} {
		for i := range tt.Data {
			tt.Data[i] = float32(rng.NormFloat64())
		}
	}
	backward := func() (dw, db, dx []float32) {
		dIn := tensor.New(n, k)
		l.Forward(ctx, []*tensor.Tensor{x}, out)
		l.Backward(ctx, []*tensor.Tensor{x}, out, dOut, []*tensor.Tensor{dIn})
		return append([]float32(nil), l.Params()[0].Grad.Data...),
			append([]float32(nil), l.Params()[1].Grad.Data...), dIn.Data
	}
	dw, db, dx := backward()

	var f layer.Factored = l
	if f.FactoredWeight() != l.Params()[0] {
		t.Fatal("the factored weight is not the layer's weight")
	}
	f.LeaveWeightGrad(true)
	grad := l.Params()[0].Grad.Data
	for i := range grad {
		grad[i] = 7
	}
	_, db2, dx2 := backward()
	for i, g := range grad {
		if g != 7 {
			t.Fatalf("weight gradient [%d] = %v, want it left alone", i, g)
		}
	}
	for i := range db {
		if db2[i] != db[i] {
			t.Errorf("bias gradient [%d] = %v, want %v", i, db2[i], db[i])
		}
	}
	for i := range dx {
		if dx2[i] != dx[i] {
			t.Errorf("input gradient [%d] = %v, want %v", i, dx2[i], dx[i])
		}
	}
	for o := range outputs {
		for j := range k {
			var s float64
			for i := range n {
				s += float64(dOut.Data[i*outputs+o]) * float64(x.Data[i*k+j])
			}
			if d := s - float64(dw[o*k+j]); d > 1e-5 || d < -1e-5 {
				t.Errorf("dW[%d,%d] = %v, dOutᵀ·x gives %v", o, j, dw[o*k+j], s)
			}
		}
	}
}

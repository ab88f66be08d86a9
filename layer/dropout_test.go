package layer_test

import (
	"errors"
	"math"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

// dropoutReference is out = x/(1-rate) where the mask keeps x, else 0, for
// a batch whose first sample has global index offset.
func dropoutReference(l *layer.Dropout, rate float64, step int64,
	offset, per int) gradcheck.Reference {
	return func(in, _ [][]float64) []float64 {
		out := make([]float64, len(in[0]))
		for i, x := range in[0] {
			if layer.DropoutKeeps(l, step, offset+i/per, i%per) {
				out[i] = x / (1 - rate)
			}
		}
		return out
	}
}

func TestDropoutGradient(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rate  float32
		shape tensor.Shape
		batch int
	}{
		{"half", 0.5, tensor.Shape{3, 2, 2}, 4},
		{"rate 0", 0, tensor.Shape{5}, 3},
		{"rate 0.9", 0.9, tensor.Shape{20}, 3},
		// Above the threshold where samples split among threads.
		{"large", 0.3, tensor.Shape{1 << 14}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const step, offset = 11, 6
			l := layer.NewDropout("drop1", layer.DropoutConfig{Rate: tc.rate})
			gradcheck.Check(t, gradcheck.Case{
				Layer: l,
				In:    []tensor.Shape{tc.shape},
				Batch: tc.batch,
				Reference: dropoutReference(l, float64(tc.rate), step, offset,
					tc.shape.Size()),
				Context:  &layer.Context{Step: step, SampleOffset: offset},
				MaxElems: 100,
			})
		})
	}
}

// dropMask runs the layer's Forward on ones and returns which elements it
// dropped.
func dropMask(t *testing.T, rate float32, seed uint64, step int64, n, per int) []bool {
	t.Helper()
	l := layer.NewDropout("d", layer.DropoutConfig{Rate: rate})
	if _, err := l.Setup([]tensor.Shape{{per}}); err != nil {
		t.Fatal(err)
	}
	l.Init(seed)
	x, out := tensor.New(n, per), tensor.New(n, per)
	for i := range x.Data {
		x.Data[i] = 1
	}
	ctx := gradcheck.NewContext(1)
	ctx.Step = step
	l.Forward(ctx, []*tensor.Tensor{x}, out)

	dropped := make([]bool, len(out.Data))
	for i, v := range out.Data {
		switch v {
		case 0:
			dropped[i] = true
		case 1 / (1 - rate):
		default:
			t.Fatalf("element %d = %v, want 0 or %v", i, v, 1/(1-rate))
		}
	}
	return dropped
}

// within checks that a measured frequency is within 5 standard deviations
// of p over n trials.
func within(t *testing.T, what string, got float64, p float64, n int) {
	t.Helper()
	if sd := math.Sqrt(p * (1 - p) / float64(n)); math.Abs(got-p) > 5*sd {
		t.Errorf("%s: frequency %.5f, want %.5f ± %.5f", what, got, p, 5*sd)
	}
}

func TestDropoutMaskStatistics(t *testing.T) {
	const n, per = 400, 500
	for _, rate := range []float32{0.1, 0.5, 0.8} {
		p := float64(rate)
		a := dropMask(t, rate, 3, 1, n, per)
		b := dropMask(t, rate, 3, 2, n, per)
		c := dropMask(t, rate, 4, 1, n, per)

		var dropped, nextSample, nextElem, nextStep, nextSeed int
		for i := range a {
			if a[i] {
				dropped++
			}
			if i+per < len(a) && a[i] && a[i+per] {
				nextSample++
			}
			if i+1 < len(a) && a[i] && a[i+1] {
				nextElem++
			}
			if a[i] && b[i] {
				nextStep++
			}
			if a[i] && c[i] {
				nextSeed++
			}
		}

		// Masks that are independent between neighbouring samples,
		// elements, steps and seeds drop both of a pair with
		// probability p².
		total := len(a)
		within(t, "dropped", float64(dropped)/float64(total), p, total)
		within(t, "next sample", float64(nextSample)/float64(total-per), p*p, total-per)
		within(t, "next element", float64(nextElem)/float64(total-1), p*p, total-1)
		within(t, "next step", float64(nextStep)/float64(total), p*p, total)
		within(t, "next seed", float64(nextSeed)/float64(total), p*p, total)
	}
}

func TestDropoutEvaluationIsIdentity(t *testing.T) {
	l := layer.NewDropout("d", layer.DropoutConfig{Rate: 0.5})
	if _, err := l.Setup([]tensor.Shape{{6}}); err != nil {
		t.Fatal(err)
	}
	x, out := tensor.New(2, 6), tensor.New(2, 6)
	for i := range x.Data {
		x.Data[i] = float32(i) - 4.5
	}
	ctx := gradcheck.NewContext(1)
	ctx.Train = false
	l.Forward(ctx, []*tensor.Tensor{x}, out)
	for i := range x.Data {
		if out.Data[i] != x.Data[i] {
			t.Fatalf("evaluation changed element %d: %v to %v", i, x.Data[i], out.Data[i])
		}
	}
}

func TestDropoutSetupErrors(t *testing.T) {
	for _, tc := range []struct {
		rate float32
		msg  string
	}{
		{1, "layer: drop1: rate must be in [0, 1), got 1"},
		{-0.1, "layer: drop1: rate must be in [0, 1), got -0.1"},
		{float32(math.NaN()), "layer: drop1: rate must be in [0, 1), got NaN"},
	} {
		_, err := layer.NewDropout("drop1", layer.DropoutConfig{Rate: tc.rate}).
			Setup([]tensor.Shape{{3}})
		if err == nil || err.Error() != tc.msg || !errors.Is(err, layer.ErrConfig) {
			t.Errorf("rate %v: got %v, want %q", tc.rate, err, tc.msg)
		}
	}
}

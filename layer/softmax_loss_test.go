package layer_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/layer/gradcheck"
	"github.com/mariana-dl/mariana/tensor"
)

// softmaxLossReference is -log(e^x[label] / Σ_j e^x[j]) per sample, from
// the definition (no shift: the test logits are small).
func softmaxLossReference(in, _ [][]float64) []float64 {
	x, labels := in[0], in[1]
	c := len(x) / len(labels)
	out := make([]float64, len(labels))
	for i, label := range labels {
		var sum float64
		for j := 0; j < c; j++ {
			sum += math.Exp(x[i*c+j])
		}
		out[i] = -math.Log(math.Exp(x[i*c+int(label)]) / sum)
	}
	return out
}

// logitsAndLabels generates logits uniform in [-3, 3) and valid labels.
func logitsAndLabels(classes int) gradcheck.Generator {
	return func(input int, data []float32, rng *rand.Rand) {
		for i := range data {
			if input == 0 {
				data[i] = float32(6*rng.Float64() - 3)
			} else {
				data[i] = float32(rng.IntN(classes))
			}
		}
	}
}

func TestSoftmaxLossGradient(t *testing.T) {
	for _, tc := range []struct {
		name   string
		logits tensor.Shape
		batch  int
	}{
		{"vector", tensor.Shape{5}, 4},
		{"image-shaped", tensor.Shape{3, 1, 1}, 5},
		{"one class", tensor.Shape{1}, 2},
		// Above the threshold where samples split among threads.
		{"large", tensor.Shape{1 << 14}, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := layer.NewSoftmaxLoss("loss")
			gradcheck.Check(t, gradcheck.Case{
				Layer:     l,
				In:        []tensor.Shape{tc.logits, {1}},
				Batch:     tc.batch,
				Reference: softmaxLossReference,
				NoGrad:    []int{1},
				Gen:       logitsAndLabels(tc.logits.Size()),
				MaxElems:  100,
			})
		})
	}
}

// runLoss runs Forward and Backward (dOut = 1) on the given logits and
// labels and returns the losses and the logits' gradient.
func runLoss(t *testing.T, classes int, logits, labels []float32) (loss, grad []float32) {
	t.Helper()
	l := layer.NewSoftmaxLoss("loss")
	if _, err := l.Setup([]tensor.Shape{{classes}, {1}}); err != nil {
		t.Fatal(err)
	}
	n := len(labels)
	x, y := tensor.New(n, classes), tensor.New(n, 1)
	copy(x.Data, logits)
	copy(y.Data, labels)
	out, dOut, dx := tensor.New(n, 1), tensor.New(n, 1), tensor.New(n, classes)
	for i := range dOut.Data {
		dOut.Data[i] = 1
	}
	dLabels := tensor.New(n, 1)
	dLabels.Data[0] = 42

	ctx := gradcheck.NewContext(1)
	in := []*tensor.Tensor{x, y}
	l.Forward(ctx, in, out)
	l.Backward(ctx, in, out, dOut, []*tensor.Tensor{dx, dLabels})
	if dLabels.Data[0] != 0 {
		t.Errorf("a dIn[1] given was not zeroed")
	}
	return out.Data, dx.Data
}

func TestSoftmaxLossIsStable(t *testing.T) {
	loss, grad := runLoss(t, 2, []float32{1000, 0, -1000, 0}, []float32{1, 0})
	for i, want := range []float32{1000, 1000} {
		if loss[i] != want {
			t.Errorf("loss[%d] = %v, want %v", i, loss[i], want)
		}
	}
	for i, want := range []float32{1, -1, -1, 1} {
		if grad[i] != want {
			t.Errorf("grad[%d] = %v, want %v", i, grad[i], want)
		}
	}
}

func TestSoftmaxLossBadLabels(t *testing.T) {
	bad := []float32{-1, 3, 1.5, float32(math.NaN()), float32(math.Inf(1))}
	for _, label := range bad {
		loss, grad := runLoss(t, 3, []float32{0.1, 0.2, 0.3, 1, 2, 3}, []float32{label, 2})
		if !math.IsNaN(float64(loss[0])) {
			t.Errorf("label %v: loss %v, want NaN", label, loss[0])
		}
		for j := 0; j < 3; j++ {
			if !math.IsNaN(float64(grad[j])) {
				t.Errorf("label %v: grad[%d] = %v, want NaN", label, j, grad[j])
			}
		}

		// The other sample is unaffected.
		want := math.Log(math.Exp(1)+math.Exp(2)+math.Exp(3)) - 3
		if math.Abs(float64(loss[1])-want) > 1e-6 {
			t.Errorf("label %v: the good sample's loss is %v, want %v", label, loss[1], want)
		}
	}
}

func TestSoftmaxLossSetupErrors(t *testing.T) {
	for _, tc := range []struct {
		in  []tensor.Shape
		msg string
	}{
		{[]tensor.Shape{{3}}, "layer: loss: takes 2 inputs (logits, labels), got 1"},
		{[]tensor.Shape{{0}, {1}}, "layer: loss: logits shape 0 is empty"},
		{[]tensor.Shape{{4}, {2}}, "layer: loss: labels must hold 1 value per sample, got shape 2"},
	} {
		_, err := layer.NewSoftmaxLoss("loss").Setup(tc.in)
		if err == nil || err.Error() != tc.msg || !errors.Is(err, layer.ErrShape) {
			t.Errorf("Setup(%v) = %v, want %q", tc.in, err, tc.msg)
		}
	}
}

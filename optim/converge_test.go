package optim

import (
	"math"
	"testing"

	"github.com/mariana-dl/mariana/layer"
)

func TestQuadraticBowlConverges(t *testing.T) {
	// f(w) = ½·Σ aᵢ(wᵢ − cᵢ)², an ill-conditioned bowl (curvatures 0.2 to
	// 4) with its minimum at c; the gradient is aᵢ(wᵢ − cᵢ).
	curv := []float32{4, 1, 0.2, 2.5, 0.7}
	centre := []float32{1, -2, 3, 0.5, -0.25}
	cases := []struct {
		name  string
		cfg   Config
		steps int64
	}{
		{"sgd", Config{Method: SGD, BaseLR: 0.4}, 300},
		{"sgd momentum", Config{Method: SGD, BaseLR: 0.1, Momentum: 0.9}, 300},
		{"nesterov", Config{Method: Nesterov, BaseLR: 0.1, Momentum: 0.9}, 300},
		{"adagrad", Config{Method: AdaGrad, BaseLR: 1}, 300},
		{"sgd momentum, step policy", Config{Method: SGD, BaseLR: 0.1, Momentum: 0.9,
			Policy: PolicyStep, Gamma: 0.5, StepSize: 100}, 300},
	}
	loss := func(w []float32) float64 {
		var f float64
		for i := range w {
			d := float64(w[i] - centre[i])
			f += 0.5 * float64(curv[i]) * d * d
		}
		return f
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := mustNew(t, c.cfg)
			p := layer.NewParam("w", 1, len(centre))
			start := loss(p.Value.Data)
			for step := int64(0); step < c.steps; step++ {
				for i, w := range p.Value.Data {
					p.Grad.Data[i] = curv[i] * (w - centre[i])
				}
				s.Update(step, []*layer.Param{p})
			}
			for i, w := range p.Value.Data {
				if math.Abs(float64(w-centre[i])) > 1e-3 {
					t.Errorf("w[%d] = %v after %d steps, minimum at %v (loss %g from %g)",
						i, w, c.steps, centre[i], loss(p.Value.Data), start)
				}
			}
		})
	}
}

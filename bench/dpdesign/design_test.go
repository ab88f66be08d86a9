package main

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/blas/auto"
)

// The sufficient factors design must compute the gradient one device
// computes: each owner's rows over the whole batch, from the replicas'
// shared activations. Both groups draw the same weights and activations
// from the same seed.
func TestSufficientFactorsComputeTheWholeGradient(t *testing.T) {
	net := network{name: "small", layers: []shape{{24, 20}, {7, 24}}, batch: 10}
	impl := auto.New(1)
	one := oneDevice(net, impl, rand.New(rand.NewPCG(1, 2)))
	sf := sufficientFactors(net, impl, rand.New(rand.NewPCG(1, 2)))
	timeSteps(one, 1)
	timeSteps(sf, 1)

	for i := range net.layers {
		want, got := one.reps[0].grad[i], sf.reps[0].grad[i]
		for j := range want {
			if d := math.Abs(float64(got[j] - want[j])); d > 1e-5*(1+math.Abs(float64(want[j]))) {
				t.Fatalf("layer %d, value %d: sufficient factors %g, one device %g", i, j,
					got[j], want[j])
			}
		}
	}
}

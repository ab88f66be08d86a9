package dataparallel

import (
	"fmt"
	"testing"

	"github.com/mariana-dl/mariana/exchange"
)

// TestDevicesEqualOneDevice trains 20 steps on one device and on 2 and 3
// in-process devices with the same global mini-batch; the weights must
// agree to 1e-5 relative (the sums of the per-sample gradients are grouped
// differently, so bits may differ).
func TestDevicesEqualOneDevice(t *testing.T) {
	for _, src := range []struct{ name, spec string }{{"nesterov", smallSpec},
		{"adagrad", adagradSpec}} {
		want := trainSingle(t, src.spec, 20)
		for _, n := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/devices=%d", src.name, n), func(t *testing.T) {
				g := trainLocal(t, src.spec, n, Config{segmentMin: 1}, 20)
				if d, where := relDiff(t, g.Params(), want); d > 1e-5 {
					t.Errorf("%s differs from one device by %.3g relative", where, d)
				}
			})
		}
	}
}

// TestAlgorithmsAgreeBitForBit trains with every exchange algorithm in
// ordered mode and with both solver-state modes; all must end with the
// same bits.
func TestAlgorithmsAgreeBitForBit(t *testing.T) {
	want := trainLocal(t, smallSpec, 3, Config{Algorithm: exchange.Central}, 20).Params()
	for _, alg := range []string{exchange.Chain, exchange.Ring, exchange.Tree} {
		for _, state := range []StateMode{OwnerState, ReplicatedState} {
			t.Run(alg+"/"+string(state), func(t *testing.T) {
				g := trainLocal(t, smallSpec, 3, Config{Algorithm: alg, Ordered: true,
					State: state, segmentMin: 1}, 20)
				sameBits(t, g.Params(), want)
			})
		}
	}
}

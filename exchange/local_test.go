package exchange_test

import (
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/exchangetest"
)

// newLocalGroup makes an in-process group with a timeout long enough for
// a loaded machine and short enough that a bug fails instead of hanging.
func newLocalGroup(t testing.TB, n int) []exchange.Transport {
	g, err := exchange.NewLocalGroup(n, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	ts := make([]exchange.Transport, n)
	for r := range ts {
		ts[r] = g.Member(r)
	}
	return ts
}

func TestLocalConformance(t *testing.T) {
	exchangetest.Run(t, newLocalGroup, 5)
}

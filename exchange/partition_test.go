package exchange_test

import (
	"slices"
	"testing"

	"github.com/mariana-dl/mariana/exchange"
)

// TestPartitionsAndOrder pins down the ownership contract that a trainer
// relies on to know which parameters its solver updates.
func TestPartitionsAndOrder(t *testing.T) {
	g, err := exchange.NewLocalGroup(3, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	order := []int{2, 0, 1}
	cases := []struct {
		cfg     exchange.Config
		parts   []exchange.Range
		ordered bool
	}{
		{exchange.Config{Algorithm: exchange.Chain, Order: order},
			[]exchange.Range{{0, 4, 2}, {4, 7, 0}, {7, 10, 1}}, false},
		{exchange.Config{Algorithm: exchange.Ring, Order: order, Ordered: true},
			[]exchange.Range{{0, 4, 2}, {4, 7, 0}, {7, 10, 1}}, true},
		{exchange.Config{Algorithm: exchange.Tree, Order: order},
			[]exchange.Range{{0, 10, 2}}, false},
		{exchange.Config{Algorithm: exchange.Central, Order: order},
			[]exchange.Range{{0, 10, 2}}, true},
		{exchange.Config{}, []exchange.Range{{0, 4, 0}, {4, 7, 1}, {7, 10, 2}}, false},
	}
	for _, c := range cases {
		coll, err := exchange.New(g.Member(1), c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got := coll.Partitions(10); !slices.Equal(got, c.parts) {
			t.Errorf("%+v: partitions %v, want %v", c.cfg, got, c.parts)
		}
		if coll.Ordered() != c.ordered {
			t.Errorf("%+v: Ordered() = %v, want %v", c.cfg, coll.Ordered(), c.ordered)
		}
		if coll.Rank() != 1 || coll.Size() != 3 {
			t.Errorf("%+v: rank %d of %d", c.cfg, coll.Rank(), coll.Size())
		}
		coll.Close()
	}

	// Fewer values than members: the last partitions are empty.
	coll, _ := exchange.New(g.Member(0), exchange.Config{})
	defer coll.Close()
	want := []exchange.Range{{0, 1, 0}, {1, 2, 1}, {2, 2, 2}}
	if got := coll.Partitions(2); !slices.Equal(got, want) {
		t.Errorf("partitions of 2 values: %v, want %v", got, want)
	}
}

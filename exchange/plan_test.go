package exchange_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

func TestChoosePicksByModel(t *testing.T) {
	link := exchange.Link{Latency: 15e-6, Bandwidth: 1e9}
	cases := []struct {
		name  string
		topo  exchange.Topology
		bytes int64
		want  string
	}{
		// Bandwidth dominates: chain and ring tie, and chain comes first.
		{"large buffer", exchange.NewTopology(8, link, true), 64 << 20, exchange.Chain},
		// Latency dominates over many members: the tree's log2(n) wins.
		{"small buffer", exchange.NewTopology(8, link, true), 1 << 10, exchange.Tree},
		// Two hosts of four: the chain crosses the network once, in the
		// middle, where it carries half as much as a ring's every link.
		{"two hosts", exchange.Topology{
			Order: []int{0, 1, 2, 3, 4, 5, 6, 7}, Host: []int{0, 0, 0, 0, 1, 1, 1, 1},
			Local: link, Remote: exchange.Link{Latency: 50e-6, Bandwidth: 0.1e9},
		}, 16 << 20, exchange.Chain},
		// One member: nothing to exchange.
		{"alone", exchange.NewTopology(1, link, true), 1 << 20, exchange.Chain},
	}
	for _, c := range cases {
		plan, err := exchange.Choose(c.topo, c.bytes, exchange.Config{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if plan.Config.Algorithm != c.want {
			t.Errorf("%s: chose %s, want %s: %v", c.name, plan.Config.Algorithm, c.want, plan)
		}
		for _, e := range plan.Estimates {
			if e.Predicted < plan.Predicted {
				t.Errorf("%s: %s predicted %v, faster than the chosen %v", c.name, e.Algorithm,
					e.Predicted, plan.Predicted)
			}
		}
	}

	ring, _ := exchange.Predict(exchange.Config{Algorithm: exchange.Ring}, cases[2].topo, 16<<20)
	chain, _ := exchange.Predict(exchange.Config{Algorithm: exchange.Chain}, cases[2].topo, 16<<20)
	if ratio := float64(ring) / float64(chain); ratio < 1.5 {
		t.Errorf("two hosts: ring %v against chain %v, want the chain well ahead", ring, chain)
	}
}

func TestPlanString(t *testing.T) {
	topo := exchange.NewTopology(2, exchange.Link{Latency: 10e-6, Bandwidth: 2e9}, true)
	plan, err := exchange.Choose(topo, 3_750_000, exchange.Config{})
	if err != nil {
		t.Fatal(err)
	}
	want := "chain 0→1 over 2 devices, 2 partitions of 1.9 MB, predicted 1.90 ms " +
		"(ring 1.90 ms, tree 3.77 ms, central 3.77 ms)"
	if got := plan.String(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	topo = exchange.Topology{Order: []int{2, 0, 1}, Host: []int{0, 1, 0},
		Local: topo.Local, Remote: topo.Local}
	ringOrdered := exchange.Config{Algorithm: exchange.Ring, Ordered: true}
	plan, err = exchange.Choose(topo, 1000, ringOrdered)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"ring 2→0→1→2 over 3 processes on 2 hosts",
		"3 partitions of 336 B", "sums in rank order"} {
		if !strings.Contains(plan.String(), part) {
			t.Errorf("%q lacks %q", plan, part)
		}
	}
	if plan.Predicted != plan.Estimates[1].Predicted {
		t.Errorf("overridden plan predicts %v, its estimate %v", plan.Predicted, plan.Estimates[1])
	}
}

func TestChooseRejectsBadInput(t *testing.T) {
	link := exchange.Link{Latency: 1e-6, Bandwidth: 1e9}
	bad := []exchange.Topology{
		{},
		{Order: []int{0, 0}, Local: link},
		{Order: []int{0, 1}, Host: []int{0}, Local: link},
		{Order: []int{0, 1}, Local: exchange.Link{Latency: 1e-6}},
		{Order: []int{0, 1}, Host: []int{0, 1}, Local: link},
		{Order: []int{0, 1}, Local: exchange.Link{Latency: math.NaN(), Bandwidth: 1}},
	}
	for _, topo := range bad {
		_, err := exchange.Choose(topo, 10, exchange.Config{})
		if !errors.Is(err, exchange.ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", topo, err)
		}
	}
	good := exchange.NewTopology(2, link, false)
	for _, cfg := range []exchange.Config{{Algorithm: "mesh"}, {Order: []int{1, 0}}} {
		if _, err := exchange.Choose(good, 10, cfg); !errors.Is(err, exchange.ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", cfg, err)
		}
	}
	if _, err := exchange.Choose(good, -1, exchange.Config{}); !errors.Is(err, exchange.ErrConfig) {
		t.Errorf("negative size: %v", err)
	}
}

// TestFitLinkRecoversModel fits the link back from times the model itself
// predicts, for every algorithm.
func TestFitLinkRecoversModel(t *testing.T) {
	want := exchange.Link{Latency: 12e-6, Bandwidth: 3e9}
	for _, name := range exchange.Algorithms() {
		cfg := exchange.Config{Algorithm: name}
		topo := exchange.NewTopology(4, want, true)
		var samples []exchange.Sample
		for bytes := int64(1 << 10); bytes <= 16<<20; bytes *= 4 {
			d, err := exchange.Predict(cfg, topo, bytes)
			if err != nil {
				t.Fatal(err)
			}
			samples = append(samples, exchange.Sample{Bytes: bytes, Time: d})
		}
		got, err := exchange.FitLink(cfg, 4, samples)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if math.Abs(got.Latency/want.Latency-1) > 1e-3 ||
			math.Abs(got.Bandwidth/want.Bandwidth-1) > 1e-3 {
			t.Errorf("%s: fitted %v, want %v", name, got, want)
		}
	}

	one := []exchange.Sample{
		{Bytes: 100, Time: time.Millisecond}, {Bytes: 100, Time: 2 * time.Millisecond},
	}
	if _, err := exchange.FitLink(exchange.Config{}, 2, one); !errors.Is(err, exchange.ErrConfig) {
		t.Errorf("one size: %v, want ErrConfig", err)
	}
	shrinking := []exchange.Sample{
		{Bytes: 100, Time: time.Millisecond}, {Bytes: 1e6, Time: time.Microsecond},
	}
	_, err := exchange.FitLink(exchange.Config{}, 2, shrinking)
	if !errors.Is(err, exchange.ErrConfig) {
		t.Errorf("times that shrink with size: %v, want ErrConfig", err)
	}
}

// TestPredictPhasesAddUp checks that an exchange's two phases add up to
// Predict's whole, and that where the model says the all-gather mirrors
// the reduce-scatter (chain and ring, unordered), it does.
func TestPredictPhasesAddUp(t *testing.T) {
	topo := exchange.NewTopology(4, exchange.Link{Latency: 5e-6, Bandwidth: 2e9}, true)
	for _, alg := range exchange.Algorithms() {
		for _, ordered := range []bool{false, true} {
			cfg := exchange.Config{Algorithm: alg, Ordered: ordered}
			whole, err := exchange.Predict(cfg, topo, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			reduce, gather, err := exchange.PredictPhases(cfg, topo, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if reduce <= 0 || gather <= 0 || reduce+gather != whole {
				t.Errorf("%s ordered=%v: phases %v + %v, whole %v", alg, ordered, reduce,
					gather, whole)
			}
			if (alg == exchange.Chain || alg == exchange.Ring) && !ordered && reduce != gather {
				t.Errorf("%s: reduce-scatter %v, all-gather %v", alg, reduce, gather)
			}
		}
	}
	if _, _, err := exchange.PredictPhases(exchange.Config{Algorithm: "nope"}, topo, 1); err == nil {
		t.Error("an unknown algorithm: no error")
	}
}

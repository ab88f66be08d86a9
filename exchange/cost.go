package exchange

import (
	"fmt"
	"math"
	"time"
)

// Note [Cost model]
//
// A message of m bytes over a link costs α + m/β. With n members, a
// buffer of B bytes and c = B/n, the model predicts (for equal links):
//
//	chain    2 (n-1) (α + c/β)   pipelined in both directions; in general
//	                             each phase takes the busiest chain link's
//	                             max(n-1-i, i+1) messages of c
//	ring     2 (n-1) (α + c/β)   each phase n-1 steps at the slowest link
//	tree     reduce up the heap (a parent takes its children one after
//	         the other) plus broadcast down it, whole buffers: about
//	         4 log2(n) (α + B/β)
//	central  2 (n-1) (α + B/β)   the centre takes and sends n-1 buffers
//
// In ordered mode the reduce-scatter of chain, ring and tree is replaced
// by direct sends, (n-1) (α + c/β) at the slowest pair for chain and
// ring, and the central reduce for tree. Additions are not counted apart:
// on a CPU they run at memory speed and are folded into β when β is
// fitted to measured exchanges (FitLink).

// Predict returns the model's time for one exchange (reduce-scatter and
// all-gather) of bytes with cfg.Algorithm over topo. cfg.Order is ignored:
// the topology's order is the one the algorithm follows.
func Predict(cfg Config, topo Topology, bytes int64) (time.Duration, error) {
	reduce, gather, err := PredictPhases(cfg, topo, bytes)
	return reduce + gather, err
}

// PredictPhases is Predict in its two phases: the reduce-scatter (for the
// tree and the central algorithm, the reduce) and the all-gather (the
// broadcast). Members that share their parameters need only the first.
func PredictPhases(cfg Config, topo Topology, bytes int64) (reduce, gather time.Duration,
	err error) {
	if err := topo.Validate(); err != nil {
		return 0, 0, err
	}
	name := cfg.Algorithm
	if name == "" {
		name = Chain
	}
	if _, ok := algorithms[name]; !ok {
		return 0, 0, configErrorf("unknown algorithm %q (want one of %v)", name, Algorithms())
	}
	if bytes < 0 {
		return 0, 0, configErrorf("buffer of %d bytes", bytes)
	}
	r, g := predictPhases(name, cfg.Ordered, topo, float64(bytes))
	return time.Duration(r * 1e9), time.Duration(g * 1e9), nil
}

// predictSeconds is Predict's formula for a valid topology.
func predictSeconds(name string, ordered bool, t Topology, bytes float64) float64 {
	r, g := predictPhases(name, ordered, t, bytes)
	return r + g
}

// predictPhases is PredictPhases's formula for a valid topology, in
// seconds.
func predictPhases(name string, ordered bool, t Topology, bytes float64) (reduce,
	gather float64) {
	n := t.Size()
	if n == 1 || bytes == 0 {
		return 0, 0
	}
	c := bytes / float64(n)

	switch name {
	case Chain:
		var phase float64
		for i := 0; i+1 < n; i++ {
			load := float64(max(n-1-i, i+1))
			phase = max(phase, load*t.link(t.Order[i], t.Order[i+1]).seconds(c))
		}
		if ordered {
			return directSeconds(t, c), phase
		}
		return phase, phase

	case Ring:
		var step float64
		for i := 0; i < n; i++ {
			step = max(step, t.link(t.Order[i], t.Order[(i+1)%n]).seconds(c))
		}
		phase := float64(n-1) * step
		if ordered {
			return directSeconds(t, c), phase
		}
		return phase, phase

	case Tree:
		broadcast := treeBroadcastSeconds(t, 0, bytes)
		if ordered {
			return centralSeconds(t, bytes), broadcast
		}
		return treeReduceSeconds(t, 0, bytes), broadcast

	case Central:
		return centralSeconds(t, bytes), centralSeconds(t, bytes)
	}
	panic("exchange: no cost model for " + name)
}

// directSeconds is an ordered reduce-scatter: every member sends n-1
// pieces of c bytes, one after the other, while it receives n-1.
func directSeconds(t Topology, c float64) float64 {
	var slowest float64
	for _, a := range t.Order {
		for _, b := range t.Order {
			if a != b {
				slowest = max(slowest, t.link(a, b).seconds(c))
			}
		}
	}
	return float64(t.Size()-1) * slowest
}

// centralSeconds is the central member taking (or sending) n-1 buffers.
func centralSeconds(t Topology, bytes float64) float64 {
	root := t.Order[0]
	var s float64
	for _, r := range t.Order[1:] {
		s += t.link(root, r).seconds(bytes)
	}
	return s
}

// treeReduceSeconds is when the subtree at position p has its sum: the
// member takes its children's sums one after the other.
func treeReduceSeconds(t Topology, p int, bytes float64) float64 {
	var ready float64
	for child := 2*p + 1; child <= 2*p+2 && child < t.Size(); child++ {
		arrive := treeReduceSeconds(t, child, bytes)
		ready = max(ready, arrive) + t.link(t.Order[p], t.Order[child]).seconds(bytes)
	}
	return ready
}

// treeBroadcastSeconds is how long the broadcast from position p takes to
// reach its whole subtree; the member's two sends share its link.
func treeBroadcastSeconds(t Topology, p int, bytes float64) float64 {
	var done, sent float64
	for child := 2*p + 1; child <= 2*p+2 && child < t.Size(); child++ {
		sent += t.link(t.Order[p], t.Order[child]).seconds(bytes)
		done = max(done, sent+treeBroadcastSeconds(t, child, bytes))
	}
	return done
}

// Sample is one measured exchange: the time of an all-reduce of Bytes.
type Sample struct {
	Bytes int64
	Time  time.Duration
}

// FitLink fits the link (α, β) of a group of n members on equal links to
// measured all-reduce times with cfg.Algorithm, by least squares on
// relative errors, so that small and large buffers weigh alike. It needs
// samples of at least two different sizes.
func FitLink(cfg Config, n int, samples []Sample) (Link, error) {
	name := cfg.Algorithm
	if name == "" {
		name = Chain
	}
	if _, ok := algorithms[name]; !ok {
		return Link{}, configErrorf("unknown algorithm %q (want one of %v)", name, Algorithms())
	}
	if n < 2 {
		return Link{}, configErrorf("cannot fit a link to a group of %d", n)
	}

	// The model is linear in α and 1/β: T = α·m + k(B)/β, where m and
	// k(B) are the model's times with unit latency and no transfer cost,
	// and with no latency and unit bandwidth.
	latencyOnly := NewTopology(n, Link{Latency: 1, Bandwidth: math.Inf(1)}, false)
	bandwidthOnly := NewTopology(n, Link{Latency: 0, Bandwidth: 1}, false)
	var smm, smk, skk, smt, skt float64
	sizes := map[int64]bool{}
	for _, s := range samples {
		if s.Bytes <= 0 || s.Time <= 0 {
			return Link{}, configErrorf("sample of %d bytes in %v", s.Bytes, s.Time)
		}
		sizes[s.Bytes] = true
		secs := s.Time.Seconds()
		m := predictSeconds(name, cfg.Ordered, latencyOnly, float64(s.Bytes)) / secs
		k := predictSeconds(name, cfg.Ordered, bandwidthOnly, float64(s.Bytes)) / secs
		smm += m * m
		smk += m * k
		skk += k * k
		smt += m
		skt += k
	}
	if len(sizes) < 2 {
		return Link{}, configErrorf("samples of %d distinct sizes, want at least 2", len(sizes))
	}

	det := smm*skk - smk*smk
	alpha := (smt*skk - skt*smk) / det
	inv := (smm*skt - smk*smt) / det
	if alpha < 0 {
		// Latency too small to resolve: fit bandwidth alone.
		alpha, inv = 0, skt/skk
	}
	if !(inv > 0) {
		return Link{}, fmt.Errorf("%w: times do not grow with size, no bandwidth to fit", ErrConfig)
	}
	return Link{Latency: alpha, Bandwidth: 1 / inv}, nil
}

package exchange

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Plan is the planner's choice of algorithm for one buffer size on one
// topology, with what the model predicts. Its String is meant for logs.
type Plan struct {
	// Config is what to pass to New on every member.
	Config Config

	Members   int
	Hosts     int
	InProcess bool
	Bytes     int64

	// Partitions is the number of partitions; PartitionBytes the size of
	// the largest.
	Partitions     int
	PartitionBytes int64

	// Predicted is the model's time for the chosen algorithm.
	Predicted time.Duration

	// Estimates are the model's times for every algorithm, in the order
	// of Algorithms.
	Estimates []Estimate
}

// Estimate is the predicted time of one algorithm.
type Estimate struct {
	Algorithm string
	Predicted time.Duration
}

// Choose returns the plan with the lowest predicted time for an exchange
// of bytes over topo, preferring the earlier of Algorithms on a tie. A
// non-empty want.Algorithm overrides the choice; want.Ordered is kept in
// the plan and priced. The plan follows topo.Order, so want.Order must be
// nil.
func Choose(topo Topology, bytes int64, want Config) (Plan, error) {
	if err := topo.Validate(); err != nil {
		return Plan{}, err
	}
	if bytes < 0 {
		return Plan{}, configErrorf("buffer of %d bytes", bytes)
	}
	if want.Order != nil {
		return Plan{}, configErrorf("Choose takes the order from the topology; " +
			"want.Order must be nil")
	}
	if want.Algorithm != "" {
		if _, ok := algorithms[want.Algorithm]; !ok {
			return Plan{}, configErrorf("unknown algorithm %q (want one of %v)",
				want.Algorithm, Algorithms())
		}
	}

	p := Plan{
		Members:   topo.Size(),
		Hosts:     topo.Hosts(),
		InProcess: topo.InProcess,
		Bytes:     bytes,
	}
	best := want.Algorithm
	bestSecs := 0.0
	for _, name := range Algorithms() {
		secs := predictSeconds(name, want.Ordered, topo, float64(bytes))
		p.Estimates = append(p.Estimates, Estimate{name, seconds(secs)})
		if want.Algorithm == "" && (best == "" || secs < bestSecs*(1-1e-9)) {
			best, bestSecs = name, secs
		}
		if name == best {
			p.Predicted = seconds(secs)
		}
	}

	p.Config = Config{Algorithm: best, Order: slices.Clone(topo.Order), Ordered: want.Ordered}
	p.Partitions = algorithms[best].partitions(topo.Size())
	values := (bytes + 3) / 4
	p.PartitionBytes = 4 * ((values + int64(p.Partitions) - 1) / int64(p.Partitions))
	return p, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * 1e9) }

// String reads like "chain 0→1 over 2 devices, 2 partitions of 3.7 MB,
// predicted 0.85 ms (ring 0.85 ms, tree 1.60 ms, central 1.60 ms)".
func (p Plan) String() string {
	var b strings.Builder
	b.WriteString(p.Config.Algorithm)
	switch p.Config.Algorithm {
	case Chain, Ring:
		b.WriteByte(' ')
		for i, r := range p.Config.Order {
			if i > 0 {
				b.WriteString("→")
			}
			b.WriteString(strconv.Itoa(r))
		}
		if p.Config.Algorithm == Ring && len(p.Config.Order) > 2 {
			b.WriteString("→")
			b.WriteString(strconv.Itoa(p.Config.Order[0]))
		}
	case Tree:
		fmt.Fprintf(&b, " rooted at %d", p.Config.Order[0])
	case Central:
		fmt.Fprintf(&b, " at %d", p.Config.Order[0])
	}

	noun := "processes"
	switch {
	case p.InProcess && p.Members == 1:
		noun = "device"
	case p.InProcess:
		noun = "devices"
	case p.Members == 1:
		noun = "process"
	}
	fmt.Fprintf(&b, " over %d %s", p.Members, noun)
	if p.Hosts > 1 {
		fmt.Fprintf(&b, " on %d hosts", p.Hosts)
	}

	parts := "partitions"
	if p.Partitions == 1 {
		parts = "partition"
	}
	fmt.Fprintf(&b, ", %d %s of %s", p.Partitions, parts, FormatBytes(p.PartitionBytes))
	if p.Config.Ordered {
		b.WriteString(", sums in rank order")
	}
	fmt.Fprintf(&b, ", predicted %s", formatSeconds(p.Predicted))

	var others []string
	for _, e := range p.Estimates {
		if e.Algorithm != p.Config.Algorithm {
			others = append(others, e.Algorithm+" "+formatSeconds(e.Predicted))
		}
	}
	if len(others) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(others, ", "))
	}
	return b.String()
}

// FormatBytes writes a size in decimal units, "3.7 MB", as plans and logs
// of the exchange show it.
func FormatBytes(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}

// formatSeconds writes a short duration in milliseconds, or microseconds
// below a tenth of one.
func formatSeconds(d time.Duration) string {
	ms := d.Seconds() * 1e3
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	case ms >= 0.1:
		return fmt.Sprintf("%.2f ms", ms)
	}
	return fmt.Sprintf("%.1f µs", ms*1e3)
}

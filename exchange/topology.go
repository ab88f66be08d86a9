package exchange

import (
	"fmt"
	"math"
	"slices"
)

// Link is the cost of one message between two members: Latency seconds
// to start it (α) plus its size over Bandwidth bytes per second (β). It
// stands for the whole path: link, copies, checksums and scheduling.
type Link struct {
	Latency   float64
	Bandwidth float64
}

// seconds is the predicted time of one message of the given size.
func (l Link) seconds(bytes float64) float64 {
	return l.Latency + bytes/l.Bandwidth
}

// String reads "α 6.0 µs, β 4.00 GB/s".
func (l Link) String() string {
	return fmt.Sprintf("α %.1f µs, β %.2f GB/s", l.Latency*1e6, l.Bandwidth/1e9)
}

// Links measured with exchangefit (go run ./exchange/cmd/exchangefit) on
// the project's reference machine, a shared 2-core Xeon, with 2 members
// and the chain. They are starting points for the planner; fit your own
// machine's, and give the network's link yourself for several hosts.
var (
	// InProcessLink is between two devices of one process.
	InProcessLink = Link{Latency: 6e-6, Bandwidth: 4e9}

	// LoopbackLink is between two processes of one host over TCP.
	LoopbackLink = Link{Latency: 15e-6, Bandwidth: 1e9}
)

// Topology describes an exchange group for the planner: its members in
// topology order, which machine each is on, and what the links cost.
type Topology struct {
	// Order lists the ranks in the order the chain and the ring visit
	// them; members next to each other should share the cheapest links
	// (devices under one PCIe switch, processes on one host).
	Order []int

	// Host[rank] is the machine of member rank; members with the same
	// value share a machine. Nil means all on one machine.
	Host []int

	// Local is the link between two members on one machine, Remote the
	// link between machines (unused when there is one).
	Local, Remote Link

	// InProcess says the members are devices of one process (the plan
	// then speaks of devices rather than processes).
	InProcess bool
}

// NewTopology returns a topology of n members in rank order on one
// machine, linked by link.
func NewTopology(n int, link Link, inProcess bool) Topology {
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	return Topology{Order: order, Local: link, InProcess: inProcess}
}

// Size is the number of members.
func (t Topology) Size() int { return len(t.Order) }

// Hosts is the number of distinct machines.
func (t Topology) Hosts() int {
	if t.Host == nil {
		return 1
	}
	hosts := slices.Clone(t.Host)
	slices.Sort(hosts)
	return len(slices.Compact(hosts))
}

// Validate checks that Order is a permutation of the ranks, Host has one
// entry per member and the links used have positive bandwidths.
func (t Topology) Validate() error {
	n := len(t.Order)
	if n == 0 {
		return configErrorf("topology has no members")
	}
	if _, err := checkOrder(t.Order, n); err != nil {
		return err
	}
	if t.Host != nil && len(t.Host) != n {
		return configErrorf("topology host list has %d entries for %d members", len(t.Host), n)
	}
	if err := checkLink("local", t.Local); err != nil {
		return err
	}
	if t.Hosts() > 1 {
		return checkLink("remote", t.Remote)
	}
	return nil
}

func checkLink(name string, l Link) error {
	if !(l.Latency >= 0) || math.IsInf(l.Latency, 1) {
		return configErrorf("%s link latency %v, want a finite value >= 0", name, l.Latency)
	}
	if !(l.Bandwidth > 0) {
		return configErrorf("%s link bandwidth %v, want > 0", name, l.Bandwidth)
	}
	return nil
}

// link returns the link between ranks a and b.
func (t Topology) link(a, b int) Link {
	if t.Host == nil || t.Host[a] == t.Host[b] {
		return t.Local
	}
	return t.Remote
}

package dataparallel

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/tcp"
)

// NetworkLink is the planner's link between two hosts when Peers.Network
// is not given: 10 Gb/s Ethernet through a switch, as measured by TCP
// between two processes (latency and bandwidth as the application sees
// them). Fit your own network's with exchange.FitLink.
var NetworkLink = exchange.Link{Latency: 50e-6, Bandwidth: 1.1e9}

// Peers says how this process joins a group of processes.
type Peers struct {
	// Rank is this process's rank, an index into Addrs.
	Rank int

	// Addrs are the members' addresses, host:port, indexed by rank; the
	// same list in every process. Members with the same host share a
	// machine, and the chain visits them one after the other.
	Addrs []string

	// JobID names the job; processes of different jobs refuse each other.
	JobID string

	// Listener, when set, is used instead of listening on Addrs[Rank]
	// (a launcher binds the ports before it starts the processes).
	Listener net.Listener

	// DialTimeout bounds connecting to the others, IOTimeout each wait on
	// a peer afterwards: a peer that sends nothing for that long fails
	// the job with an error naming it. IOTimeout must exceed the longest
	// time members may legitimately drift apart, such as the leader's
	// evaluation or checkpoint. Zero means the transport's defaults.
	DialTimeout, IOTimeout time.Duration

	// Network is the link between hosts, for the planner; zero means
	// NetworkLink. Processes on one host use exchange.LoopbackLink.
	Network exchange.Link

	// NoSharedMemory makes processes on one host exchange over TCP
	// instead of shared memory (see tcp.Config).
	NoSharedMemory bool
}

// Connect joins this process to the group over TCP and returns its
// transport and the topology the planner should use.
func Connect(ctx context.Context, p Peers) (exchange.Transport, exchange.Topology, error) {
	topo, err := TopologyOf(p.Addrs, p.Network)
	if err != nil {
		if p.Listener != nil {
			p.Listener.Close()
		}
		return nil, exchange.Topology{}, err
	}
	t, err := tcp.Connect(ctx, tcp.Config{
		Rank: p.Rank, Addrs: p.Addrs, JobID: p.JobID, Listener: p.Listener,
		DialTimeout: p.DialTimeout, IOTimeout: p.IOTimeout, NoSharedMemory: p.NoSharedMemory,
	})
	if err != nil {
		return nil, exchange.Topology{}, fmt.Errorf("dataparallel: join the group: %w", err)
	}
	return t, topo, nil
}

// TopologyOf describes a group of processes at addrs: members on the same
// host are neighbours in the chain, joined by exchange.LoopbackLink, and
// hosts by network (NetworkLink when zero).
func TopologyOf(addrs []string, network exchange.Link) (exchange.Topology, error) {
	if network == (exchange.Link{}) {
		network = NetworkLink
	}
	hostIndex := map[string]int{}
	host := make([]int, len(addrs))
	for r, a := range addrs {
		h, _, err := net.SplitHostPort(a)
		if err != nil {
			return exchange.Topology{}, fmt.Errorf("%w: address %q of rank %d: %v",
				ErrConfig, a, r, err)
		}
		i, ok := hostIndex[h]
		if !ok {
			i = len(hostIndex)
			hostIndex[h] = i
		}
		host[r] = i
	}
	order := make([]int, len(addrs))
	for r := range order {
		order[r] = r
	}
	slices.SortStableFunc(order, func(a, b int) int { return host[a] - host[b] })
	topo := exchange.Topology{Order: order, Local: exchange.LoopbackLink, Remote: network}
	if len(hostIndex) > 1 {
		topo.Host = host
	}
	return topo, nil
}

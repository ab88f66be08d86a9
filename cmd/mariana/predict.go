package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mariana-dl/mariana/dataparallel"
	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/train"
)

// predictFlags ask bench for the scaling model's table instead of a
// measurement of throughput.
type predictFlags struct {
	members                       string
	deviceLink, loopLink, netLink string
}

// parseLink reads a link given as "LATENCY,BANDWIDTH" in seconds and bytes
// per second, such as "6e-6,4e9"; empty means def.
func parseLink(flag, s string, def exchange.Link) (exchange.Link, error) {
	if s == "" {
		return def, nil
	}
	a, b, ok := strings.Cut(s, ",")
	lat, err1 := strconv.ParseFloat(a, 64)
	bw, err2 := strconv.ParseFloat(b, 64)
	if !ok || err1 != nil || err2 != nil || lat < 0 || bw <= 0 {
		return def, fmt.Errorf("--%s %q: want LATENCY,BANDWIDTH in seconds and bytes per "+
			"second, such as 6e-6,4e9", flag, s)
	}
	return exchange.Link{Latency: lat, Bandwidth: bw}, nil
}

// runPredict measures a step of job's network on one device and prints the
// predicted speed-up on groups of the sizes asked for: devices of one
// machine, processes of one host, and hosts on a network.
func runPredict(job *train.Job, p predictFlags, cfg dataparallel.Config) error {
	var sizes []int
	for _, f := range strings.Split(p.members, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("--predict %q: want group sizes such as 2,4,6,8", p.members)
		}
		sizes = append(sizes, n)
	}
	dev, err := parseLink("device-link", p.deviceLink, exchange.InProcessLink)
	if err != nil {
		return err
	}
	loop, err := parseLink("loopback-link", p.loopLink, exchange.LoopbackLink)
	if err != nil {
		return err
	}
	network, err := parseLink("network-link", p.netLink, dataparallel.NetworkLink)
	if err != nil {
		return err
	}

	c, err := dataparallel.MeasureCost(job, 5, 10, sizes...)
	if err != nil {
		return err
	}
	s := job.Spec
	fmt.Printf("# scaling model of %s, batch %d, %.1f MB exchanged: one device (%d thread) "+
		"forward %.1f ms, backward %.1f ms, update %.1f ms, step %.1f ms\n",
		s.Name, c.Batch, 4*float64(c.Values)/1e6, job.Context.Threads,
		ms(c.Forward.Seconds()), ms(c.Backward.Seconds()), ms(c.Update.Seconds()),
		ms(c.Step().Seconds()))
	for _, n := range sizes {
		if p, ok := c.Shares[n]; ok {
			fmt.Printf("# a member's share in a group of %d, measured: forward %.1f ms, "+
				"backward %.1f ms (%.2f times the one-device passes over %d)\n", n,
				ms(p.Forward.Seconds()), ms(p.Backward.Seconds()),
				(p.Forward+p.Backward).Seconds()*float64(n)/(c.Forward+c.Backward).Seconds(), n)
		}
	}
	fmt.Printf("# links: devices %v; processes on a host %v; hosts %v\n", dev, loop, network)
	fmt.Println("| model | members | placement | algorithm | compute ms | exchange ms | " +
		"exposed ms | step ms | speed-up | efficiency |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|")

	type place struct {
		name    string
		topo    func(n int) exchange.Topology
		overlap bool
	}
	places := []place{
		{"devices of one machine", func(n int) exchange.Topology {
			return exchange.NewTopology(n, dev, true)
		}, false},
		{"processes of one host", func(n int) exchange.Topology {
			return exchange.NewTopology(n, loop, false)
		}, false},
		{"hosts on a network", func(n int) exchange.Topology {
			t := exchange.NewTopology(n, loop, false)
			t.Remote = network
			t.Host = make([]int, n)
			for r := range t.Host {
				t.Host[r] = r
			}
			return t
		}, true},
	}
	for _, pl := range places {
		for _, n := range sizes {
			sc, err := dataparallel.Predict(c, pl.topo(n), cfg, pl.overlap)
			if err != nil {
				return err
			}
			fmt.Printf("| %s | %d | %s | %s | %.1f | %.1f | %.1f | %.1f | %.2fx | %.0f%% |\n",
				s.Name, n, pl.name, algorithms(sc.Algorithms), ms(sc.Compute.Seconds()),
				ms(sc.Exchange.Seconds()), ms(sc.Exposed.Seconds()), ms(sc.Step.Seconds()),
				sc.Speedup, 100*sc.Efficiency)
		}
	}
	return nil
}

func ms(s float64) float64 { return 1e3 * s }

// algorithms writes the planner's choices compactly: "chain", or
// "chain+tree" when segments differ.
func algorithms(algs []string) string {
	var seen []string
	for _, a := range algs {
		if !strings.Contains(strings.Join(seen, "+"), a) {
			seen = append(seen, a)
		}
	}
	return strings.Join(seen, "+")
}

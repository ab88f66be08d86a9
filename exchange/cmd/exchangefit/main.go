// Command exchangefit measures all-reduce times between the members of a
// group on this machine, in-process and over loopback TCP, and fits the
// exchange cost model's link (latency α, bandwidth β) to them, for the
// planner's defaults and for predictions of larger groups.
//
//	go run ./exchange/cmd/exchangefit -members 2 -budget 200ms
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/tcp"
)

func main() {
	members := flag.Int("members", 2, "members of the group")
	algorithm := flag.String("algorithm", exchange.Chain, "exchange algorithm")
	budget := flag.Duration("budget", 200*time.Millisecond, "time spent per buffer size")
	flag.Parse()

	cfg := exchange.Config{Algorithm: *algorithm}
	if err := run(*members, cfg, *budget); err != nil {
		fmt.Fprintln(os.Stderr, "exchangefit:", err)
		os.Exit(1)
	}
}

func run(n int, cfg exchange.Config, budget time.Duration) error {
	local, err := exchange.NewLocalGroup(n, time.Minute)
	if err != nil {
		return err
	}
	defer local.Close()
	group := make([]exchange.Transport, n)
	for r := range group {
		group[r] = local.Member(r)
	}
	if err := measure(fmt.Sprintf("in-process, %d devices, %s", n, cfg.Algorithm), group, cfg,
		budget); err != nil {
		return err
	}

	if group, err = loopback(n); err != nil {
		return err
	}
	defer func() {
		for _, t := range group {
			t.Close()
		}
	}()
	title := fmt.Sprintf("loopback TCP, %d members, %s", n, cfg.Algorithm)
	return measure(title, group, cfg, budget)
}

// loopback connects a TCP group of n members on 127.0.0.1.
func loopback(n int) ([]exchange.Transport, error) {
	addrs := make([]string, n)
	lns := make([]net.Listener, n)
	for r := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns[r], addrs[r] = ln, ln.Addr().String()
	}
	group := make([]exchange.Transport, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for r := range group {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t, err := tcp.Connect(context.Background(), tcp.Config{Rank: r, Addrs: addrs,
				JobID: "exchangefit", Listener: lns[r]})
			group[r], errs[r] = t, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return group, nil
}

// measure times all-reduces of 1 KB to 16 MB over group, fits the link
// and prints both.
func measure(title string, group []exchange.Transport, cfg exchange.Config,
	budget time.Duration) error {
	n := len(group)
	colls := make([]exchange.Collective, n)
	for r, t := range group {
		c, err := exchange.New(t, cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		colls[r] = c
	}

	var samples []exchange.Sample
	for bytes := 1 << 10; bytes <= 16<<20; bytes *= 4 {
		bufs := make([][]float32, n)
		for r := range bufs {
			bufs[r] = make([]float32, bytes/4)
		}
		var times []time.Duration
		for start := time.Now(); len(times) < 5 || time.Since(start) < budget; {
			t0 := time.Now()
			if err := allReduce(colls, bufs); err != nil {
				return err
			}
			times = append(times, time.Since(t0))
		}
		slices.Sort(times)
		samples = append(samples, exchange.Sample{Bytes: int64(bytes), Time: times[len(times)/2]})
	}

	link, err := exchange.FitLink(cfg, n, samples)
	if err != nil {
		return err
	}
	topo := exchange.NewTopology(n, link, true)
	fmt.Printf("%s\n  %-8s %12s %12s %10s\n", title, "size", "median", "model", "GB/s")
	for _, s := range samples {
		model, _ := exchange.Predict(cfg, topo, s.Bytes)
		fmt.Printf("  %-8s %12v %12v %10.3f\n", sizeName(s.Bytes),
			s.Time.Round(100*time.Nanosecond), model.Round(100*time.Nanosecond),
			float64(s.Bytes)/s.Time.Seconds()/1e9)
	}
	fmt.Printf("  link: α = %.2f µs, β = %.3f GB/s\n\n", link.Latency*1e6, link.Bandwidth/1e9)
	return nil
}

// allReduce runs one all-reduce on every member at once.
func allReduce(colls []exchange.Collective, bufs [][]float32) error {
	errs := make([]error, len(colls))
	var wg sync.WaitGroup
	for r := 1; r < len(colls); r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[r] = colls[r].AllReduce(bufs[r])
		}()
	}
	errs[0] = colls[0].AllReduce(bufs[0])
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func sizeName(bytes int64) string {
	if bytes >= 1<<20 {
		return fmt.Sprintf("%d MB", bytes>>20)
	}
	return fmt.Sprintf("%d KB", bytes>>10)
}

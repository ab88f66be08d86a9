// Command dpdesign compares ways for two devices of one machine to train a
// network of fully connected layers data-parallel, in a model of the step
// that keeps only what costs: the layers' matrix products (the forward
// pass is the fully connected layer's own code), the solver's momentum
// step (its own loop), and what each design adds to share the gradients,
// with goroutines meeting at barriers. Each design's
// samples per second are reported as the efficiency of its two devices
// against one device on the whole batch (one core each): speed-up / 2.
//
//	one device              the baseline: the whole batch, the whole update
//	own copies, no exchange each replica's passes on its share of the batch
//	                        and its owner's update, on its own copy of the
//	                        parameters, from its own gradients alone: what a
//	                        member of the next design computes, with
//	                        nothing shared or waited for
//	gradients, a copy each  Mariana's exchange between replicas with a copy
//	                        of the parameters each: reduce-scatter of the
//	                        whole weight gradients, owner update, all-gather
//	shared parameters       one copy of the parameters for both replicas, as
//	                        the dataparallel package keeps for devices of
//	                        one process: reduce-scatter and owner update,
//	                        nothing to gather
//	sufficient factors      shared parameters and activations: the owner of
//	                        a layer's rows computes their weight gradient
//	                        over the whole batch from both replicas' inputs
//	                        and output gradients; nothing is added
//
// The designs run in turn, -rounds times, so that the load of a shared
// machine falls on all of them alike; the table gives the median and the
// range of each design's efficiency over the rounds.
//
//	go run ./bench/dpdesign
//	go run ./bench/dpdesign -rounds 9 -seconds 1
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/mariana-dl/mariana/blas/auto"
)

func main() {
	rounds := flag.Int("rounds", 5, "rounds of every design")
	seconds := flag.Float64("seconds", 0.5, "time to spend on a design in a round")
	flag.Parse()
	if *rounds < 1 || *seconds <= 0 {
		fmt.Fprintln(os.Stderr, "dpdesign: -rounds and -seconds must be positive")
		os.Exit(2)
	}

	impl := auto.New(1)
	fmt.Printf("# %s, one thread per device; load %s\n", auto.Describe(), loadAverage())
	fmt.Println("| network | design | efficiency, median | range |")
	fmt.Println("|---|---|---|---|")
	for _, net := range networks {
		rng := rand.New(rand.NewPCG(1, 2))
		groups := make([]*group, len(designs))
		for d, ds := range designs {
			groups[d] = ds.build(net, impl, rng)
		}
		steps := max(2, int(*seconds/timeSteps(groups[0], 1).Seconds()))

		eff := make([][]float64, len(designs))
		for range *rounds {
			var one time.Duration
			for d, g := range groups {
				t := timeSteps(g, steps)
				if d == 0 {
					one = t
					continue
				}
				eff[d] = append(eff[d], float64(one)/float64(t)/members)
			}
		}
		for d := 1; d < len(designs); d++ {
			slices.Sort(eff[d])
			fmt.Printf("| %s | %s | %.1f%% | %.1f-%.1f%% |\n", net.name, designs[d].name,
				100*eff[d][len(eff[d])/2], 100*eff[d][0], 100*eff[d][len(eff[d])-1])
		}
	}
}

// timeSteps runs steps steps of g, each replica on its own goroutine locked
// to a thread (as a device's is), after one untimed step, and returns the
// time of a step.
func timeSteps(g *group, steps int) time.Duration {
	run := func(n int) {
		var wg sync.WaitGroup
		for r := range g.reps {
			wg.Go(func() {
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				for range n {
					g.step(r)
				}
			})
		}
		wg.Wait()
	}
	run(1)
	start := time.Now()
	run(steps)
	return time.Since(start) / time.Duration(steps)
}

// loadAverage returns the first three fields of /proc/loadavg, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil || len(b) < 14 {
		return "?"
	}
	var a, b1, c float64
	if _, err := fmt.Sscan(string(b), &a, &b1, &c); err != nil {
		return "?"
	}
	return fmt.Sprintf("%.2f %.2f %.2f", a, b1, c)
}

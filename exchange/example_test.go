package exchange_test

import (
	"fmt"
	"sync"

	"github.com/mariana-dl/mariana/exchange"
)

// Two devices sum their gradients; each owner takes an SGD step on the
// parameters it owns, and both end with the same new parameters.
func ExampleCollective_Exchange() {
	const lr = 0.5
	g, _ := exchange.NewLocalGroup(2, 0)
	defer g.Close()
	topo := exchange.NewTopology(2, exchange.InProcessLink, true)
	plan, _ := exchange.Choose(topo, 4*4, exchange.Config{})

	params := [][]float32{{1, 1, 1, 1}, {1, 1, 1, 1}}
	grads := [][]float32{{1, 2, 3, 4}, {3, 2, 1, 0}}
	var wg sync.WaitGroup
	for rank := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _ := exchange.New(g.Member(rank), plan.Config)
			defer c.Close()
			buf := grads[rank]
			err := c.Exchange(buf, func(part exchange.Range, sum []float32) error {
				p := params[rank][part.Lo:part.Hi]
				for i := range sum {
					p[i] -= lr * sum[i]
					sum[i] = p[i] // what the all-gather distributes
				}
				return nil
			})
			if err == nil {
				copy(params[rank], buf)
			}
		}()
	}
	wg.Wait()
	fmt.Println(plan.Config.Algorithm, plan.Partitions, "partitions")
	fmt.Println(params[0], params[1])
	// Output:
	// chain 2 partitions
	// [-1 -1 -1 -1] [-1 -1 -1 -1]
}

package exchange

// Note [Central]
//
// Every member sends its whole buffer to the central member, Order[0],
// which sums the buffers in rank order, updates the one partition (the
// whole buffer) and sends it back to each member in rank order. The
// central member's link carries 2(n-1) full buffers, so this is the
// parameter-server pattern and the baseline the others are measured
// against; it is also always rank-ordered, whatever Config.Ordered says.

var centralAlgorithm = algorithm{
	name:          Central,
	partitions:    func(int) int { return 1 },
	rankOrdered:   true,
	reduceScatter: orderedReduceScatter,
	allGather:     centralBroadcast,
}

func centralBroadcast(c *collective, buf []float32, _ []Range) {
	root := c.order[0]
	if c.rank != root {
		c.prog.main = append(c.prog.main, recv(root, buf))
		return
	}
	for r := 0; r < c.n; r++ {
		if r != root {
			c.prog.main = append(c.prog.main, send(r, buf))
		}
	}
}

package exchange

// Note [Ring]
//
// The ring visits the members in topology order and links the last back
// to the first. Member p (position p) owns partition p. In step s of
// reduce-scatter (s = 0 .. n-2) it sends partition p-1-s to the next
// member and receives partition p-2-s from the previous one, adding it to
// its own values; the partition sent in step s+1 is the one received in
// step s, so side waits for main's token before each send but the first.
// After n-1 steps partition p holds x_{p+1} + x_{p+2} + ... + x_p, summed
// around the ring starting after the owner. All-gather is the same
// rotation with copies instead of additions.

var ringAlgorithm = algorithm{
	name:          Ring,
	partitions:    func(n int) int { return n },
	reduceScatter: ringReduceScatter,
	allGather:     ringAllGather,
}

func ringReduceScatter(c *collective, buf []float32, parts []Range) {
	ringRotate(c, buf, parts, 1, true)
}

func ringAllGather(c *collective, buf []float32, parts []Range) {
	ringRotate(c, buf, parts, 0, false)
}

// ringRotate appends n-1 ring steps: in step s, send partition p-lag-s
// and receive partition p-lag-1-s, adding it when add is set.
func ringRotate(c *collective, buf []float32, parts []Range, lag int, add bool) {
	p, n := c.pos, c.n
	next, prev := c.at(p+1), c.at(p-1)
	mod := func(k int) int { return ((k % n) + n) % n }
	for s := 0; s < n-1; s++ {
		if s > 0 {
			c.prog.side = append(c.prog.side, wait)
		}
		c.prog.side = append(c.prog.side, send(next, chunk(buf, parts, mod(p-lag-s))))

		in := chunk(buf, parts, mod(p-lag-1-s))
		if add {
			c.prog.main = append(c.prog.main, recvAdd(prev, in))
		} else {
			c.prog.main = append(c.prog.main, recv(prev, in))
		}
		c.prog.main = append(c.prog.main, signal)
	}
}

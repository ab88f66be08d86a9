package exchange

// Note [Chain]
//
// Mariana cut the parameters into one partition per device and passed
// them along a chain that follows the machine's PCIe tree. Member p of
// the chain (position p of the topology order, n members) owns partition
// p. Reduce-scatter runs two streams at once, one in each direction:
//
//	rightward: for k = n-1 down to p+1, receive partition k's partial sum
//	           from the left neighbour and add it to our own (position 0
//	           has nothing to receive), then pass it to the right; finally
//	           receive the left partial of our own partition p.
//	leftward:  the mirror image, for k = 0 up to p-1, passing leftwards.
//
// The farthest partitions go first, so both streams are pipelines that
// finish after n-1 message times, like a ring's reduce-scatter. The owner
// ends with (x_p + left) + right, where left = x_0 + x_1 + ... + x_{p-1}
// and right = x_{n-1} + x_{n-2} + ... + x_{p+1}, each summed in the order
// it travelled. All-gather sends the owner's partition both ways and
// forwards what arrives, nearest partitions first.
//
// The difference from a ring: the chain never uses the link from the last
// member back to the first. That link is the expensive one on a PCIe tree
// (it crosses the root complex, or the inter-socket link) and across
// hosts (a second crossing of the network between the first and last
// host). In exchange the chain's two end links carry more than the middle
// ones: the link between positions i and i+1 carries max(n-1-i, i+1)
// partitions in its busier direction, so the ends carry n-1, as much as
// every link of a ring, while a slow link in the middle of the chain
// carries about half that.

var chainAlgorithm = algorithm{
	name:          Chain,
	partitions:    func(n int) int { return n },
	reduceScatter: chainReduceScatter,
	allGather:     chainAllGather,
}

func chainReduceScatter(c *collective, buf []float32, parts []Range) {
	p, n := c.pos, c.n
	if n == 1 {
		return
	}
	left, right := c.at(p-1), c.at(p+1)
	first, last := p == 0, p == n-1

	// Rightward stream on main.
	for k := n - 1; k > p; k-- {
		if !first {
			c.prog.main = append(c.prog.main, recvAdd(left, chunk(buf, parts, k)))
		}
		c.prog.main = append(c.prog.main, send(right, chunk(buf, parts, k)))
	}
	own := chunk(buf, parts, p)
	if !first {
		c.prog.main = append(c.prog.main, recvAdd(left, own))
	}

	// Leftward stream on side. The right partial of our own partition
	// arrives in scratch, because main is adding the left partial to the
	// partition at the same time; it is added after both streams, so the
	// sum's order is fixed. The first member has no left partial: main
	// leaves its partition alone, and the right partial is added in
	// place, in the same order, without the copy through scratch.
	for k := 0; k < p; k++ {
		if !last {
			c.prog.side = append(c.prog.side, recvAdd(right, chunk(buf, parts, k)))
		}
		c.prog.side = append(c.prog.side, send(left, chunk(buf, parts, k)))
	}
	switch {
	case first && !last:
		c.prog.side = append(c.prog.side, recvAdd(right, own))
	case !last:
		scratch := c.scratchFor(len(own))
		c.prog.side = append(c.prog.side, recv(right, scratch))
		c.prog.after = append(c.prog.after, addTo(own, scratch))
	}
}

func chainAllGather(c *collective, buf []float32, parts []Range) {
	p, n := c.pos, c.n
	if n == 1 {
		return
	}
	left, right := c.at(p-1), c.at(p+1)
	first, last := p == 0, p == n-1
	own := chunk(buf, parts, p)

	// Rightward on main: our partition, then the ones from the left,
	// nearest first, in the order the left neighbour sends them.
	if !last {
		c.prog.main = append(c.prog.main, send(right, own))
	}
	for k := p - 1; k >= 0; k-- {
		c.prog.main = append(c.prog.main, recv(left, chunk(buf, parts, k)))
		if !last {
			c.prog.main = append(c.prog.main, send(right, chunk(buf, parts, k)))
		}
	}

	// Leftward on side, the mirror image.
	if !first {
		c.prog.side = append(c.prog.side, send(left, own))
	}
	for k := p + 1; k < n; k++ {
		c.prog.side = append(c.prog.side, recv(right, chunk(buf, parts, k)))
		if !first {
			c.prog.side = append(c.prog.side, send(left, chunk(buf, parts, k)))
		}
	}
}

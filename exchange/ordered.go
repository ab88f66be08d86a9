package exchange

// Note [Ordered sums]
//
// Floating-point addition is commutative but not associative, so a sum
// over members depends on how the additions are grouped. Every algorithm
// here groups them by a fixed schedule, never by arrival time, so a run
// repeats bit for bit as long as the algorithm, the group size, the order
// and the buffer length stay the same; and every member ends with the
// same bits, because each partition is summed once, by its owner, and
// then copied.
//
// To also be independent of the algorithm, the order and the machine's
// layout, a sum must be the rank-order sum ((x_0 + x_1) + x_2) + ... . In
// ordered mode the reduce-scatter sends each member's piece of a
// partition straight to the partition's owner, and the owner adds the
// pieces in rank order. Each member sends and receives n-1 pieces, the
// same bytes as a ring, but over every pair of members rather than along
// the topology. Sends go in owner-rank order on side while main receives
// in sender-rank order, which cannot deadlock: the send from a to b only
// waits for steps whose a+b is smaller.

// orderedReduceScatter appends the steps of a reduce-scatter that sums
// every partition at its owner in rank order. Each member owns at most
// one partition.
func orderedReduceScatter(c *collective, buf []float32, parts []Range) {
	n, me := c.n, c.rank

	for r := 0; r < n; r++ {
		for k := range parts {
			if parts[k].Owner == r && r != me {
				c.prog.side = append(c.prog.side, send(r, chunk(buf, parts, k)))
			}
		}
	}

	for k := range parts {
		if parts[k].Owner != me {
			continue
		}
		own := chunk(buf, parts, k)
		if me == 0 {
			for r := 1; r < n; r++ {
				c.prog.main = append(c.prog.main, recvAdd(r, own))
			}
			continue
		}

		// Our own values come in at position me: keep them aside, start
		// the partition from rank 0's values and add in rank order.
		mine := c.scratchFor(len(own))
		c.prog.main = append(c.prog.main, copyTo(mine, own), recv(0, own))
		for r := 1; r < n; r++ {
			if r == me {
				c.prog.main = append(c.prog.main, addTo(own, mine))
			} else {
				c.prog.main = append(c.prog.main, recvAdd(r, own))
			}
		}
	}
}

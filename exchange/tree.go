package exchange

// Note [Tree]
//
// The tree is a binary heap over the topology order: position p has
// children 2p+1 and 2p+2, and the root is Order[0]. Reduce: a member adds
// what its first child sends, then what its second child sends, and sends
// the sum to its parent, so a node's sum is (x_p + left subtree) + right
// subtree. Broadcast: a member receives from its parent and sends to both
// children at once. The root owns the one partition, the whole buffer, so
// the owner update runs on the root alone (a solver there updates every
// parameter) before the broadcast.
//
// The whole buffer moves as one message per edge: a tree costs about
// 2 log2(n) message times of the full size, against 2(n-1) of 1/n of the
// size for chain and ring, so it wins on small buffers over many members,
// where latency dominates.
//
// TODO: pipeline the tree in segments, so that large buffers stream
// through it; deferred because chain and ring already serve large
// buffers and the planner does not choose the tree for them.

var treeAlgorithm = algorithm{
	name:          Tree,
	partitions:    func(int) int { return 1 },
	reduceScatter: treeReduce,
	allGather:     treeBroadcast,
}

func treeReduce(c *collective, buf []float32, _ []Range) {
	p, n := c.pos, c.n
	for child := 2*p + 1; child <= 2*p+2 && child < n; child++ {
		c.prog.main = append(c.prog.main, recvAdd(c.order[child], buf))
	}
	if p > 0 {
		c.prog.main = append(c.prog.main, send(c.order[(p-1)/2], buf))
	}
}

func treeBroadcast(c *collective, buf []float32, _ []Range) {
	p, n := c.pos, c.n
	if p > 0 {
		c.prog.main = append(c.prog.main, recv(c.order[(p-1)/2], buf))
	}
	if first := 2*p + 1; first < n {
		c.prog.main = append(c.prog.main, signal)
		c.prog.side = append(c.prog.side, wait, send(c.order[first], buf))
	}
	if second := 2*p + 2; second < n {
		c.prog.main = append(c.prog.main, send(c.order[second], buf))
	}
}

// Package exchange moves gradients and parameters between the members of
// a data-parallel group: the transports that carry float32 buffers, the
// collective algorithms that sum them, and the planner that picks an
// algorithm from the machine's topology and the buffer size. It knows
// nothing of layers, networks or solvers; a trainer hands it []float32
// buffers and an owner-update callback.
//
// # Overview
//
// A group has n members, ranks 0 to n-1: devices of one process
// (NewLocalGroup) or processes on one or several hosts (package
// exchange/tcp). Each member holds a Transport and builds a Collective
// over it with the same Config:
//
//	g, _ := exchange.NewLocalGroup(4, time.Minute)
//	topo := exchange.NewTopology(4, exchange.InProcessLink, true)
//	plan, _ := exchange.Choose(topo, 4*int64(len(grads)), exchange.Config{})
//	log.Info("exchange plan", "plan", plan) // chain 0→1→2→3 over 4 devices, ...
//	c, _ := exchange.New(g.Member(rank), plan.Config)
//	err := c.Exchange(grads, func(part exchange.Range, sum []float32) error {
//		// Owner update: part is this member's; sum holds the summed
//		// gradients of part. Update the parameters of part and write
//		// them into sum: the all-gather then sends them to everyone.
//		return nil
//	})
//
// Every collective has the same three phases: ReduceScatter completes the
// sum of each partition on the member that owns it, the caller (or the
// callback of Exchange) updates the owned partitions, and AllGather sends
// them to every member. AllReduce is the same without an update.
//
// # Algorithms and ownership
//
//	algorithm  partitions, owners            reduce order (one element)
//	chain      n, partition k: Order[k]      (x_k + left) + right, see Note [Chain]
//	ring       n, partition k: Order[k]      x_{k+1} + ... + x_k around the ring
//	tree       1, the whole buffer: Order[0] (x_p + left subtree) + right subtree
//	central    1, the whole buffer: Order[0] rank order
//
// Chain and ring spread the owner update over all members (each updates
// 1/n of the parameters); tree and central run it on the root alone,
// before the broadcast, which is where a central solver (a parameter
// server) runs it too. A trainer that prefers to update everywhere calls
// AllReduce and updates the whole buffer on every member; identical
// inputs give identical results.
//
// Chain is Mariana's: partial sums travel along the topology order from
// both ends towards each partition's owner, and it never uses a link from
// the last member back to the first, which a ring needs. Notes [Chain],
// [Ring], [Tree] and [Central] in the source give each schedule.
//
// # Determinism
//
// Every member ends with bit-identical buffers (each partition is summed
// once, by its owner, and copied), and a run repeats bit for bit: sums are
// grouped by the schedule, never by arrival. A sum equals the plain
// rank-order sum ((x_0 + x_1) + x_2) + ... for central always, for the
// others with two members or fewer, and for all with Config.Ordered, which
// makes results identical across algorithms, orders and transports
// (Collective.Ordered reports it). See Note [Ordered sums].
//
// # Overlap
//
// A Queue exchanges buffer segments in the background, in the order they
// are started, so that a layer's gradients leave as soon as its backward
// pass is done: Start(segment, update) returns a Handle, and the trainer
// waits on the handles (or on the queue) before it uses the parameters.
// See Note [Overlap].
//
// # Failures
//
// A dead, stuck or misbehaving member makes the others fail, never hang:
// in-process within the group's timeout, over TCP as soon as a connection
// breaks or within the I/O timeout. The error is a *PeerError naming the
// member at fault (rank, and address over a network) and wrapping a
// sentinel (ErrTimeout, ErrPeerLost, ErrChecksum, ...). A member that
// times out on a peer follows who waits on whom, so a chain of waiting
// members blames the one at its end. After a failure the transport stays
// failed: synchronous training cannot go on without a member.
//
// # Planning and counters
//
// Choose prices every algorithm with a latency-bandwidth model (Predict,
// Note [Cost model]) on a Topology, picks the cheapest unless told which,
// and says what it chose in Plan.String. FitLink fits a link to measured
// all-reduce times; exchange/cmd/exchangefit measures them on a machine.
// Each Transport counts bytes, messages and time (Stats), readable at any
// time while exchanges run.
//
// BUG(mariana): The members of a group must call the same operations in
// the same order on buffers of the same lengths; a mismatch fails with
// ErrProtocol, but only when the messages meet.
package exchange

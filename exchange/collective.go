package exchange

import (
	"fmt"
	"slices"
)

// Names of the exchange algorithms, for Config.Algorithm and Choose.
const (
	// Chain is Mariana's partitioned chain: partial sums travel along
	// the topology order towards each partition's owner from both sides,
	// and the updated partitions travel back. See the package overview.
	Chain = "chain"

	// Ring is reduce-scatter and all-gather around a ring in topology
	// order, the last member linked back to the first.
	Ring = "ring"

	// Tree reduces along a binary tree to its root and broadcasts back.
	Tree = "tree"

	// Central has every member send to one member, which sums in rank
	// order and sends the result back.
	Central = "central"
)

// Algorithms returns the names of the algorithms, in the order Choose
// prefers them when their predicted times are equal.
func Algorithms() []string { return []string{Chain, Ring, Tree, Central} }

// Config says how a member runs its collective. Every member of a group
// must use the same Config.
type Config struct {
	// Algorithm is Chain, Ring, Tree or Central; empty means Chain.
	Algorithm string

	// Order is the topology order: the ranks in the order the chain or
	// ring visits them, for example following the PCIe tree of a machine
	// or the hosts of a cluster. The tree's root and the central member
	// are Order[0]. Nil means rank order.
	Order []int

	// Ordered makes every partition's sum the plain rank-order sum
	// ((x0 + x1) + x2) + ..., so that results are bit-identical across
	// algorithms and orders and equal a serial float32 loop. Chain, ring
	// and tree then gather each partition's contributions at its owner
	// directly instead of summing along their pattern (same bytes for
	// chain and ring, the central reduce for tree). Central always sums
	// in rank order.
	Ordered bool
}

// UpdateFunc is the owner update: called on the member that owns part,
// between reduce-scatter and all-gather, with data = buf[part.Lo:part.Hi]
// holding the sum over all members. On return data must hold what every
// member should receive for the partition, typically the updated
// parameters. It runs on the goroutine that called Exchange.
type UpdateFunc func(part Range, data []float32) error

// Collective is one member's side of an exchange algorithm. All members
// must call the same operations, in the same order, on buffers of the
// same length. A Collective is not safe for concurrent use; a Queue runs
// exchanges in the background.
//
// On error the buffer's contents are undefined, and the transport has
// failed: the group cannot be used again.
type Collective interface {
	// Name is the algorithm's name, such as "chain".
	Name() string

	// Rank and Size are this member's rank and the group's size.
	Rank() int
	Size() int

	// Ordered reports whether every sum is the plain rank-order sum:
	// always for central, for the others with Config.Ordered or at most
	// two members.
	Ordered() bool

	// Partitions returns the partitions of a buffer of n values, in
	// buffer order, with their owners. Chain and ring cut the buffer into
	// one partition per member, partition k owned by Order[k]; tree and
	// central have one partition, the whole buffer, owned by Order[0].
	Partitions(n int) []Range

	// ReduceScatter sums buf over all members into the partitions each
	// member owns. The other partitions of buf then hold partial sums.
	ReduceScatter(buf []float32) error

	// AllGather sends each owned partition of buf to every member.
	AllGather(buf []float32) error

	// AllReduce sums buf over all members, on every member.
	AllReduce(buf []float32) error

	// Exchange runs reduce-scatter, calls update once for every non-empty
	// partition this member owns, and runs all-gather, so that every
	// member ends with what the owners wrote. A nil update makes it
	// AllReduce. If update fails, Exchange closes the transport, so that
	// the other members fail instead of waiting for the all-gather, and
	// returns the error.
	Exchange(buf []float32, update UpdateFunc) error

	// Close stops the collective's goroutine. It does not close the
	// transport.
	Close() error
}

// algorithm is the schedule of one collective algorithm: which member
// owns which partition, and the steps of each phase for one member.
type algorithm struct {
	name string

	// partitions is the number of partitions for a group of n.
	partitions func(n int) int

	// rankOrdered: the natural schedule sums in rank order.
	rankOrdered bool

	// reduceScatter and allGather append one member's steps to c.prog.
	reduceScatter func(c *collective, buf []float32, parts []Range)
	allGather     func(c *collective, buf []float32, parts []Range)
}

var algorithms = map[string]*algorithm{
	Chain:   &chainAlgorithm,
	Ring:    &ringAlgorithm,
	Tree:    &treeAlgorithm,
	Central: &centralAlgorithm,
}

// Tag phases: the low bits of every message tag say which phase of an
// operation it belongs to.
const (
	phaseReduce = 1
	phaseGather = 2
)

// collective runs any algorithm over any transport. An operation is
// compiled into a program of steps for this member (see program.go) and
// executed; the schedules themselves hold no state.
type collective struct {
	alg     *algorithm
	t       Transport
	rank, n int
	order   []int // ranks in topology order
	pos     int   // this member's position in order
	ordered bool
	owners  []int // owner of each partition

	ops     uint64 // operations run, for tags
	partsN  int
	parts   []Range // partitions of the last buffer length seen
	prog    program
	scratch []float32
	runner
	closed bool
}

// New makes this member's collective over t.
func New(t Transport, cfg Config) (Collective, error) {
	if t == nil {
		return nil, configErrorf("nil transport")
	}
	name := cfg.Algorithm
	if name == "" {
		name = Chain
	}
	alg, ok := algorithms[name]
	if !ok {
		return nil, configErrorf("unknown algorithm %q (want one of %v)", name, Algorithms())
	}
	n := t.Size()
	order, err := checkOrder(cfg.Order, n)
	if err != nil {
		return nil, err
	}

	c := &collective{
		alg:     alg,
		t:       t,
		rank:    t.Rank(),
		n:       n,
		order:   order,
		pos:     slices.Index(order, t.Rank()),
		ordered: cfg.Ordered,
		partsN:  -1,
	}
	c.owners = order[:alg.partitions(n)]
	c.runner.start(c, n)
	return c, nil
}

// checkOrder returns order, or rank order when it is nil, after checking
// that it is a permutation of the n ranks.
func checkOrder(order []int, n int) ([]int, error) {
	if order == nil {
		order = make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order, nil
	}
	if len(order) != n {
		return nil, configErrorf("order %v has %d members, the group %d", order, len(order), n)
	}
	seen := make([]bool, n)
	for _, r := range order {
		if r < 0 || r >= n || seen[r] {
			return nil, configErrorf("order %v is not a permutation of ranks 0 to %d", order, n-1)
		}
		seen[r] = true
	}
	return slices.Clone(order), nil
}

// The methods of collective implement Collective; see the interface.

func (c *collective) Name() string { return c.alg.name }
func (c *collective) Rank() int    { return c.rank }
func (c *collective) Size() int    { return c.n }

func (c *collective) Ordered() bool {
	return c.alg.rankOrdered || c.ordered || c.n <= 2
}

func (c *collective) Partitions(n int) []Range {
	return split(nil, n, c.owners)
}

// partitions returns the partitions of a buffer of n values, reusing the
// last result when n has not changed.
func (c *collective) partitions(n int) []Range {
	if n != c.partsN {
		c.parts = split(c.parts[:0], n, c.owners)
		c.partsN = n
	}
	return c.parts
}

func (c *collective) ReduceScatter(buf []float32) error {
	if err := c.usable(); err != nil {
		return err
	}
	parts := c.partitions(len(buf))
	c.prog.reset()
	if c.ordered && !c.alg.rankOrdered {
		orderedReduceScatter(c, buf, parts)
	} else {
		c.alg.reduceScatter(c, buf, parts)
	}
	return c.run(phaseReduce)
}

func (c *collective) AllGather(buf []float32) error {
	if err := c.usable(); err != nil {
		return err
	}
	parts := c.partitions(len(buf))
	c.prog.reset()
	c.alg.allGather(c, buf, parts)
	return c.run(phaseGather)
}

func (c *collective) AllReduce(buf []float32) error {
	return c.Exchange(buf, nil)
}

func (c *collective) Exchange(buf []float32, update UpdateFunc) error {
	if err := c.ReduceScatter(buf); err != nil {
		return err
	}
	if update != nil {
		for _, part := range c.partitions(len(buf)) {
			if part.Owner != c.rank || part.Len() == 0 {
				continue
			}
			if err := update(part, buf[part.Lo:part.Hi]); err != nil {
				c.t.Close()
				return fmt.Errorf("exchange: update of partition [%d, %d): %w",
					part.Lo, part.Hi, err)
			}
		}
	}
	return c.AllGather(buf)
}

func (c *collective) Close() error {
	if !c.closed {
		c.closed = true
		c.runner.stop()
	}
	return nil
}

func (c *collective) usable() error {
	if c.closed {
		return fmt.Errorf("%w: collective closed", ErrClosed)
	}
	return nil
}

// at returns the rank at position i of the topology order, modulo n.
func (c *collective) at(i int) int {
	return c.order[((i%c.n)+c.n)%c.n]
}

// chunk returns partition k of buf.
func chunk(buf []float32, parts []Range, k int) []float32 {
	return buf[parts[k].Lo:parts[k].Hi]
}

// scratchFor returns c's scratch buffer, grown to at least n values.
func (c *collective) scratchFor(n int) []float32 {
	if cap(c.scratch) < n {
		c.scratch = make([]float32, n)
	}
	return c.scratch[:n]
}

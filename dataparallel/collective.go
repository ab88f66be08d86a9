package dataparallel

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

// segmented is the exchange.Collective an exchange.Queue runs: it
// exchanges each segment with the collective planned for it, in Mariana's
// three steps (Note [Flat buffers]): reduce-scatter of the gradients, the
// owner update, all-gather of the new parameters, which members sharing
// their parameters skip (Note [Shared parameters]). With replicated solver
// state the owners' new history follows in a second all-gather. It times
// and counts what it does. The queue hands it the segment's gradients;
// segments are told apart by where they start.
type segmented struct {
	m     *member
	colls []exchange.Collective // per segment

	// busy is the time spent in exchanges, stateBytes the payload bytes
	// sent for the replicated history; read them at any time.
	busy       atomic.Int64
	stateBytes atomic.Uint64
}

// segmentOf returns the segment whose gradients grad is, or -1.
func (c *segmented) segmentOf(grad []float32) int {
	if len(grad) == 0 {
		return -1
	}
	for s, seg := range c.m.lay.segments {
		if &grad[0] == &c.m.grad[seg.lo] {
			return s
		}
	}
	return -1
}

// Exchange implements exchange.Collective for the queue: grad is a
// segment of the gradient buffer; the owner update is the member's, so
// update must be nil.
func (c *segmented) Exchange(grad []float32, update exchange.UpdateFunc) error {
	s := c.segmentOf(grad)
	if s < 0 || update != nil {
		return fmt.Errorf("dataparallel: exchange of a buffer that is no segment")
	}
	start := time.Now()
	defer func() { c.busy.Add(int64(time.Since(start))) }()
	seg, coll := c.m.lay.segments[s], c.colls[s]

	if seg.factor {
		// Every member's factors of the node are ready once all have
		// come this far.
		if err := coll.AllReduce(c.m.tick); err != nil {
			return err
		}
		c.m.factorGrad(s)
		c.m.update(s)
		return nil
	}

	if err := coll.ReduceScatter(grad); err != nil {
		return err
	}
	c.m.update(s)
	if !c.m.shared {
		if err := coll.AllGather(c.m.value[seg.lo:seg.hi]); err != nil {
			return err
		}
	}
	if c.m.replicated {
		before := c.m.t.Stats().BytesSent
		err := coll.AllGather(c.m.stateBuf[seg.lo:seg.hi])
		c.stateBytes.Add(c.m.t.Stats().BytesSent - before)
		return err
	}
	return nil
}

// The rest of exchange.Collective: the queue only calls Exchange.

func (c *segmented) Name() string                      { return c.colls[0].Name() }
func (c *segmented) Rank() int                         { return c.colls[0].Rank() }
func (c *segmented) Size() int                         { return c.colls[0].Size() }
func (c *segmented) Ordered() bool                     { return c.colls[0].Ordered() }
func (c *segmented) Partitions(n int) []exchange.Range { return c.colls[0].Partitions(n) }
func (c *segmented) ReduceScatter(buf []float32) error { return c.colls[0].ReduceScatter(buf) }
func (c *segmented) AllGather(buf []float32) error     { return c.colls[0].AllGather(buf) }
func (c *segmented) AllReduce(buf []float32) error     { return c.colls[0].AllReduce(buf) }
func (c *segmented) Close() error                      { return nil }

package partition

import (
	"fmt"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/spec"
)

// gradSum sums a gradient over the workers that hold the same partition in
// every worker group, leaving the sum with each of them. Every member calls
// it with the same buffers in the same order.
type gradSum interface {
	AllReduce(buf []float32) error
}

// partitionExchange is the exchange of one partition across the groups:
// an in-process exchange group whose member g is the partition's worker in
// group g.
type partitionExchange struct {
	group   *exchange.LocalGroup
	members []exchange.Collective
	plan    exchange.Plan
}

// newPartitionExchange makes the exchange of a partition whose gradients
// hold bytes, across groups groups. The sums are ordered (rank order, the
// groups' order), so that every worker ends with the same bits whatever
// the algorithm.
//
// TODO: every worker exchanges its whole gradient after its backward pass
// and then updates all its parameters; Mariana overlaps the exchange of a
// layer's gradients with the backward pass of the layers below it and
// updates each slice on its owner (exchange.Queue and the owner update of
// exchange.Collective.Exchange). That needs the solver to update slices of
// parameters, which it does not yet.
func newPartitionExchange(groups int, bytes int64, alg spec.ExchangeAlgorithm,
	timeout time.Duration) (*partitionExchange, error) {
	want := exchange.Config{Ordered: true}
	if alg != "" && alg != spec.ExchangeAuto {
		want.Algorithm = string(alg)
	}
	plan, err := exchange.Choose(exchange.NewTopology(groups, exchange.InProcessLink, true),
		bytes, want)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	g, err := exchange.NewLocalGroup(groups, timeout)
	if err != nil {
		return nil, fmt.Errorf("group: %w", err)
	}
	e := &partitionExchange{group: g, plan: plan}
	for r := range groups {
		c, err := exchange.New(g.Member(r), plan.Config)
		if err != nil {
			e.close()
			return nil, fmt.Errorf("member %d: %w", r, err)
		}
		e.members = append(e.members, c)
	}
	return e, nil
}

// close stops the members and fails every operation still waiting.
func (e *partitionExchange) close() {
	e.group.Close()
	for _, c := range e.members {
		c.Close()
	}
}

// sent returns what member r's transport has sent.
func (e *partitionExchange) sent(r int) int64 {
	return int64(e.group.Member(r).Stats().BytesSent)
}

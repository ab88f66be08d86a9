package dataparallel

import (
	"fmt"
	"slices"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

// Auto lets the planner choose the exchange algorithm (Config.Algorithm).
const Auto = "auto"

// StateMode says where the solver's history (momentum, AdaGrad's sum of
// squared gradients) lives in data-parallel training.
type StateMode string

// The state modes.
const (
	// OwnerState keeps the history of each partition only on the member
	// that owns it: the member that receives the partition's summed
	// gradient and updates it. This is Mariana's approximate adaptive
	// learning rate (see Note [AdaGrad on replicas]): no replica holds
	// the whole history, and none of it is exchanged during training,
	// only gathered when a checkpoint is written.
	OwnerState StateMode = "owner"

	// ReplicatedState keeps the whole history on every member, as exact
	// AdaGrad on replicas does: after each partition's update its owner
	// sends the new history along with the new parameters, so every
	// replica holds the complete training state every step, at the cost
	// of exchanging the history too.
	ReplicatedState StateMode = "replicated"
)

// DefaultTimeout bounds each wait on another device of the same process
// when Config.Timeout is zero.
const DefaultTimeout = time.Minute

// Config says how a data-parallel group trains. Every member of a group
// must use the same Config.
type Config struct {
	// Algorithm is the exchange algorithm: Auto or empty lets the planner
	// choose per segment from the topology and the segment's size;
	// exchange.Chain, Ring, Tree or Central overrides it.
	Algorithm string

	// Ordered makes every sum the plain rank-order sum, so that results
	// are bit-identical across algorithms, orders and transports (see
	// exchange.Config.Ordered). Groups of two are always ordered.
	Ordered bool

	// State says where the solver's history lives; empty means
	// OwnerState.
	State StateMode

	// Timeout bounds each wait of a device on another device of the same
	// process: a stuck device fails the group with an error naming it.
	// Zero means DefaultTimeout. Between processes the transport's own
	// timeout applies.
	Timeout time.Duration

	// segmentMin overrides minSegment; tests set it to 1 to give every
	// layer a segment of its own.
	segmentMin int
}

// withDefaults checks c and fills in its zero values.
func (c Config) withDefaults() (Config, error) {
	if c.Algorithm == "" {
		c.Algorithm = Auto
	}
	if c.Algorithm != Auto && !slices.Contains(exchange.Algorithms(), c.Algorithm) {
		return c, fmt.Errorf("%w: exchange algorithm %q, want %s or one of %v",
			ErrConfig, c.Algorithm, Auto, exchange.Algorithms())
	}
	if c.State == "" {
		c.State = OwnerState
	}
	if c.State != OwnerState && c.State != ReplicatedState {
		return c, fmt.Errorf("%w: solver state %q, want %s or %s",
			ErrConfig, c.State, OwnerState, ReplicatedState)
	}
	if c.Timeout < 0 {
		return c, fmt.Errorf("%w: timeout %v is negative", ErrConfig, c.Timeout)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c, nil
}

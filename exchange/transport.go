package exchange

import (
	"sync/atomic"
	"time"
)

// Transport carries messages of float32 values between the members of one
// exchange group, ranks 0 to Size()-1. One Transport is one member's end.
//
// Messages between a pair of members arrive in the order they were sent.
// Each carries a tag that the receiver states and the transport checks,
// together with the length, so that members that fall out of step fail
// with ErrProtocol instead of mixing up data.
//
// Send may return as soon as the data is buffered, or only when the
// receiver has taken it (the in-process transport hands the slice itself
// to the receiver). Collectives must therefore never need a send to finish
// before the matching receive starts: a member that sends and receives at
// once does so on two goroutines.
//
// Failure is final: after any error every later operation fails too, with
// the same error, and every operation blocked on the group returns. When
// one member fails, the others fail soon after: in-process at once, over
// a network as soon as they hear of it or their own timeout expires.
//
// A Transport is safe for concurrent use, but operations between the same
// pair in the same direction must not overlap (their order would be
// undefined); collectives keep to that.
type Transport interface {
	// Rank is this member's rank.
	Rank() int

	// Size is the number of members of the group.
	Size() int

	// Send sends data to member to under tag. The caller must not change
	// data until Send returns.
	Send(to int, tag uint64, data []float32) error

	// Recv receives the next message from member from, which must carry
	// tag and len(dst) values, into dst.
	Recv(from int, tag uint64, dst []float32) error

	// RecvAdd is Recv, but adds the message to dst element by element
	// instead of overwriting it. In-process, the values are added
	// straight from the sender's slice.
	RecvAdd(from int, tag uint64, dst []float32) error

	// Stats returns this member's counters.
	Stats() Stats

	// Close leaves the group. Operations blocked on this member return
	// ErrClosed; the other members' operations that involve this one
	// fail with ErrPeerClosed naming it.
	Close() error
}

// Stats are one member's exchange counters since its transport was made.
// Bytes count message payload (4 bytes per value), not framing, so the
// figures are the same in-process and over a network.
type Stats struct {
	BytesSent        uint64
	BytesReceived    uint64
	MessagesSent     uint64
	MessagesReceived uint64

	// SendTime and RecvTime are the time spent inside Send and inside
	// Recv and RecvAdd, waiting included. Sends and receives may overlap,
	// so their sum can exceed the wall time of an exchange.
	SendTime time.Duration
	RecvTime time.Duration
}

// Counters accumulate Stats with atomic operations, so that they can be
// read at any time while exchanges run. Transports embed one.
type Counters struct {
	bytesSent, bytesRecv atomic.Uint64
	msgsSent, msgsRecv   atomic.Uint64
	sendNanos, recvNanos atomic.Int64
}

// AddSend counts one message of n payload bytes sent in d.
func (c *Counters) AddSend(n int, d time.Duration) {
	c.bytesSent.Add(uint64(n))
	c.msgsSent.Add(1)
	c.sendNanos.Add(int64(d))
}

// AddRecv counts one message of n payload bytes received in d.
func (c *Counters) AddRecv(n int, d time.Duration) {
	c.bytesRecv.Add(uint64(n))
	c.msgsRecv.Add(1)
	c.recvNanos.Add(int64(d))
}

// Stats reads the counters. Each field is read atomically; the set is not
// one snapshot while messages are in flight.
func (c *Counters) Stats() Stats {
	return Stats{
		BytesSent:        c.bytesSent.Load(),
		BytesReceived:    c.bytesRecv.Load(),
		MessagesSent:     c.msgsSent.Load(),
		MessagesReceived: c.msgsRecv.Load(),
		SendTime:         time.Duration(c.sendNanos.Load()),
		RecvTime:         time.Duration(c.recvNanos.Load()),
	}
}

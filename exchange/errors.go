package exchange

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is. A failed operation returns a *PeerError that
// names the member at fault and wraps one of them, or ErrClosed.
var (
	// ErrClosed: this member closed its end of the group.
	ErrClosed = errors.New("exchange: group closed")

	// ErrTimeout: a peer sent nothing, or took no data, within the
	// configured time. The peer is alive as far as the network can tell,
	// but stuck or too slow.
	ErrTimeout = errors.New("exchange: timed out")

	// ErrPeerLost: the connection to a peer broke without a goodbye,
	// usually because its process died.
	ErrPeerLost = errors.New("exchange: connection lost")

	// ErrPeerClosed: a peer closed its end of the group while this member
	// still expected to exchange with it.
	ErrPeerClosed = errors.New("exchange: peer left the group")

	// ErrChecksum: a frame's CRC-32C does not match its bytes: the data
	// was damaged on the way.
	ErrChecksum = errors.New("exchange: checksum mismatch")

	// ErrProtocol: a peer sent something the protocol does not allow: a
	// malformed frame, a message of the wrong length, or a message of
	// another operation (the members called collectives in different
	// orders or on buffers of different sizes).
	ErrProtocol = errors.New("exchange: protocol error")

	// ErrHandshake: a peer refused the connection, or was refused,
	// because it belongs to another job, another group size or another
	// rank than the address list says.
	ErrHandshake = errors.New("exchange: handshake refused")

	// ErrAborted: another member failed and told the group to stop. The
	// error also wraps the sentinel of the original failure.
	ErrAborted = errors.New("exchange: group aborted")

	// ErrConfig: a configuration or topology is invalid.
	ErrConfig = errors.New("exchange: invalid configuration")
)

// PeerError is a failed operation that involves one member of the group:
// the dead, stuck or misbehaving peer, named by rank and, over a network,
// by address.
type PeerError struct {
	// Rank is the member at fault.
	Rank int

	// Addr is its network address, empty in-process.
	Addr string

	// Op is what failed: "send", "recv", "dial", "accept", "handshake",
	// or an operation reported by another member.
	Op string

	// Err is the cause; it wraps one of the sentinels.
	Err error
}

// Error reads "exchange: rank 2 (10.0.0.3:7000): recv: timed out: ...".
func (e *PeerError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "exchange: rank %d", e.Rank)
	if e.Addr != "" {
		fmt.Fprintf(&b, " (%s)", e.Addr)
	}
	b.WriteString(": ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(strings.TrimPrefix(e.Err.Error(), "exchange: "))
	return b.String()
}

// Unwrap returns the cause.
func (e *PeerError) Unwrap() error { return e.Err }

// RemoteError is a failure another member saw and reported to this one
// when it aborted the group. It wraps ErrAborted and the sentinel of the
// original failure (nil when the reporter's failure had none), so that
// errors.Is(err, ErrPeerLost) holds on every member when one peer died.
type RemoteError struct {
	// Reporter is the rank that saw the failure.
	Reporter int

	// Cause is the sentinel of the failure the reporter saw, or nil.
	Cause error

	// Text is the reporter's description of the failure.
	Text string
}

// Error reads "reported by rank 0: timed out: no message within 2s".
func (e *RemoteError) Error() string {
	return fmt.Sprintf("reported by rank %d: %s", e.Reporter, e.Text)
}

// Unwrap returns ErrAborted and the original sentinel.
func (e *RemoteError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrAborted}
	}
	return []error{ErrAborted, e.Cause}
}

// configErrorf returns an ErrConfig error "exchange: <message>".
func configErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, args...)...)
}

package tcp

import (
	"fmt"
	"net"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

// Defaults for the zero values of Config.
const (
	DefaultDialTimeout = 30 * time.Second
	DefaultIOTimeout   = 60 * time.Second
	DefaultFrameBytes  = 1 << 20
	DefaultRingBytes   = 4 << 20
)

// Bounds of Config.RingBytes.
const (
	MinRingBytes = 64 << 10
	MaxRingBytes = 1 << 30
)

// Config is one member's view of a TCP group.
type Config struct {
	// Rank is this member's rank, an index into Addrs.
	Rank int

	// Addrs are the members' addresses ("host:port"), indexed by rank.
	// Every member must be given the same list. Member i listens on
	// Addrs[i] (unless Listener is set); higher ranks dial lower ones.
	Addrs []string

	// JobID names the job. Members with different job ids refuse each
	// other, so that a process left over from another job, or started
	// with the wrong address list, cannot join. At most 1024 bytes.
	JobID string

	// Listener, when set, is used instead of listening on Addrs[Rank]:
	// a launcher can bind every port before it starts any member.
	// Connect closes it once the group is set up.
	Listener net.Listener

	// DialTimeout bounds connection setup as a whole: dialing (retried
	// while a peer is not listening yet), accepting and handshakes. Zero
	// means DefaultDialTimeout.
	DialTimeout time.Duration

	// IOTimeout bounds each wait on a peer after setup: a receive that
	// gets no data, or a send that cannot hand data to the network, for
	// that long fails with ErrTimeout naming the peer. It must exceed the
	// longest time members may legitimately drift apart, such as the
	// compute-time difference of one step. Zero means DefaultIOTimeout.
	IOTimeout time.Duration

	// FrameBytes is the largest payload of one frame; longer messages
	// are cut into frames, so that the receiver checks and uses one frame
	// while the next is in flight. A multiple of 4 from 4096 to
	// MaxFrameBytes; zero means DefaultFrameBytes.
	FrameBytes int

	// NoSharedMemory turns the shared-memory path off: members on the
	// same host then exchange data over TCP as remote ones do. By
	// default two members on one host move their data through shared
	// memory (see the package overview), and fall back to TCP without
	// an error where that is not possible.
	NoSharedMemory bool

	// RingBytes is the size of the shared-memory ring this member
	// receives on from each member on its host; a message longer than
	// the ring streams through it. A power of two from MinRingBytes to
	// MaxRingBytes; zero means DefaultRingBytes. The sender uses the
	// receiver's size, so members may differ.
	RingBytes int

	// SharedMemoryDir is the directory in which this member creates its
	// ring files, which are unlinked as soon as the peer has mapped
	// them. Empty means /dev/shm, or os.TempDir() where that is missing.
	SharedMemoryDir string
}

// validRingBytes reports whether n is a ring size members accept.
func validRingBytes(n uint64) bool {
	return n >= MinRingBytes && n <= MaxRingBytes && n&(n-1) == 0
}

// withDefaults checks c and fills in its zero values.
func (c Config) withDefaults() (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return c, fmt.Errorf("%w: tcp: "+format, append([]any{exchange.ErrConfig}, args...)...)
	}
	switch {
	case len(c.Addrs) == 0:
		return bad("no addresses")
	case c.Rank < 0 || c.Rank >= len(c.Addrs):
		return bad("rank %d outside the %d addresses", c.Rank, len(c.Addrs))
	case len(c.JobID) > 1024:
		return bad("job id of %d bytes, at most 1024", len(c.JobID))
	case c.DialTimeout < 0:
		return bad("dial timeout %v is negative", c.DialTimeout)
	case c.IOTimeout < 0:
		return bad("I/O timeout %v is negative", c.IOTimeout)
	case c.FrameBytes != 0 && (c.FrameBytes < 4096 || c.FrameBytes > MaxFrameBytes ||
		c.FrameBytes%4 != 0):
		return bad("frame size %d, want a multiple of 4 from 4096 to %d",
			c.FrameBytes, MaxFrameBytes)
	case c.RingBytes != 0 && !validRingBytes(uint64(c.RingBytes)):
		return bad("ring size %d, want a power of two from %d to %d",
			c.RingBytes, MinRingBytes, MaxRingBytes)
	}
	for i, a := range c.Addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return bad("address of rank %d: %v", i, err)
		}
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.IOTimeout == 0 {
		c.IOTimeout = DefaultIOTimeout
	}
	if c.FrameBytes == 0 {
		c.FrameBytes = DefaultFrameBytes
	}
	if c.RingBytes == 0 {
		c.RingBytes = DefaultRingBytes
	}
	return c, nil
}

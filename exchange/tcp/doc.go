// Package tcp is the network transport of package exchange: the members
// of a group are processes on one or several hosts, connected pairwise
// over TCP.
//
// # Setup
//
// Connect is given the members' addresses, indexed by rank. Member i
// listens on Addrs[i]; every member dials each lower rank, retrying until
// it listens, and accepts each higher rank. A handshake checks, both
// ways, the job id, the group size and that each side has the rank the
// other expects, and refuses the connection otherwise with a reason that
// both sides report. Setup ends within DialTimeout.
//
// # Frames
//
// Everything on a connection is a frame: a 32-byte header, little-endian,
// followed by its payload.
//
//	offset  size  field
//	0       4     magic "MXCH"
//	4       1     version (1)
//	5       1     kind: data, hello, ready, refuse, abort, bye, probe, waits
//	6       2     reserved, zero
//	8       4     sender rank
//	12      8     tag: the operation and phase a data message belongs to
//	20      4     message length in bytes (data: of the whole message)
//	24      4     payload length of this frame, at most MaxFrameBytes
//	28      4     CRC-32C (Castagnoli) of bytes 0-27 and the payload
//
// A message of float32 values travels as data frames of at most
// Config.FrameBytes each. On little-endian machines the values are
// written from and read into float32 memory directly; elsewhere they are
// converted. A frame whose checksum fails is never used: the group fails
// with ErrChecksum naming the sender.
//
// # Timeouts and failures
//
// One goroutine per connection reads frames as they come, so a member
// notices at once when a peer's process dies (the connection breaks) or
// a peer aborts, even while it waits on another member. A receive that
// gets nothing for IOTimeout, or a send that cannot write for IOTimeout,
// fails; before it does, the member asks the peer it waits on what that
// peer waits on (probe and waits frames), and so on along the chain, and
// names the member at its end (see Note [Finding a stuck member]). The
// first member to fail sends an abort frame with the culprit and the
// cause to every other member, which then fail with the same culprit,
// and closes its connections. Close sends a bye frame instead; peers that
// still expect data from the member then fail with ErrPeerClosed.
//
// BUG(mariana): Connections are neither authenticated nor encrypted: the
// job id guards against mistakes, not against an attacker. Run groups on
// a trusted network.
//
// BUG(mariana): A group does not survive a member: there is no reconnect
// and no change of membership. The job restarts the group, from its last
// checkpoint.
package tcp

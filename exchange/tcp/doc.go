// Package tcp is the network transport of package exchange: the members
// of a group are processes on one or several hosts, connected pairwise
// over TCP. Members on the same host move their data through shared
// memory instead, and keep the connection for everything else.
//
// # Setup
//
// Connect is given the members' addresses, indexed by rank. Member i
// listens on Addrs[i]; every member dials each lower rank, retrying until
// it listens, and accepts each higher rank. A handshake checks, both
// ways, the job id, the group size and that each side has the rank the
// other expects, and refuses the connection otherwise with a reason that
// both sides report. Then the two agree which directions use shared
// memory (see below). Setup ends within DialTimeout.
//
// # Frames
//
// Everything on a connection is a frame: a 32-byte header, little-endian,
// followed by its payload.
//
//	offset  size  field
//	0       4     magic "MXCH"
//	4       1     version (3)
//	5       1     kind: data, hello, ready, refuse, abort, bye, probe, waits,
//	              shm-offer, shm-answer, shm-buffer, shm-mapped
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
// The version changes whenever the layout of a frame, the meaning of a
// kind or the handshake does. A member reads only frames of its own
// version, so members of different versions never form a group: the
// handshake fails with ErrProtocol. Version 2 added the shared-memory
// setup, version 3 buffers in shared memory (shm-buffer, shm-mapped, and
// reference records in the rings).
//
// # Shared memory
//
// Each direction between two members on one host is a ring: a
// single-producer, single-consumer queue in a file that both map. The
// receiver creates the file (in Config.SharedMemoryDir, by default
// /dev/shm) with a random name and a random 128-bit nonce in its header,
// and the two agree on it right after the handshake:
//
//	shm-offer   empty (no ring), or: ring bytes (uint64), nonce (16 bytes),
//	            the file's path
//	shm-answer  1 byte: 1 if the sender mapped the ring and found the
//	            nonce, else 0
//
// Both ends send their offer, then read the other's, then answer it, so
// the setup costs one round trip and cannot deadlock. A member offers a
// ring only when the connection's addresses say that the peer is on its
// host (loopback, or one address at both ends); the nonce proves it. As
// soon as the answer is in, the file is unlinked: the memory lives only
// as long as the two mappings, so nothing is left behind however the
// processes end. Anything that fails on the way (another host, no
// memory file system, a full one, permissions, another platform, or
// Config.NoSharedMemory on either side) leaves that direction on TCP
// data frames, without an error.
//
// A ring file is a 4096-byte header and RingBytes of records. The header
// holds a magic number, the layout's version, the size, the nonce, and,
// each on a 64-byte cache line of its own, the producer's head and the
// consumer's tail (bytes published and released so far, 64-bit) and a
// futex word with a "sleeping" flag for each side. A record is a tag
// (8 bytes), the message length and the chunk length (4 bytes each) and
// the chunk, padded to 64 bytes; a message longer than an eighth of the
// ring travels as several records, so the receiver adds one chunk while
// the sender copies the next. The sender copies the values into the ring
// once; the receiver copies or adds them from there into its buffer.
//
// # Buffers in shared memory
//
// Transport implements exchange.Allocator: Alloc places a buffer in a
// file next to the rings, which every peer this member sends to through
// a ring maps, so that a message from inside it travels as a reference
// record instead of a copy, and the receiver copies or adds straight from
// the sender's buffer. The owner announces each buffer on the connection,
// and the peer's reader goroutine maps it and answers:
//
//	shm-buffer  buffer id (uint32), data bytes (uint64), nonce (16
//	            bytes), the file's path
//	shm-mapped  buffer id (uint32), then 1 byte: 1 if the peer mapped the
//	            file and found the nonce, else 0
//
// Alloc returns once every such peer has answered, and unlinks the file
// then. A reference record has the chunk length 1<<31|16 and a payload
// of the buffer id (uint32), zero (uint32) and the message's byte offset
// in the buffer (uint64); it carries a whole message. Send then waits
// until the receiver has released the record, which it does once it has
// used the values, so the caller may change its data as soon as Send
// returns, as ever. A reference to a buffer the receiver does not hold,
// or past its end, is a protocol error. A buffer file is a 4096-byte
// header (magic, layout version, size, nonce) and the values. See Note
// [Buffers by reference].
// Records are checked against what the producer published, as frames
// are, but carry no checksum: memory is not a network that damages data.
//
// A side that must wait spins briefly, then sleeps on its futex with the
// flag raised, so the other side only makes a system call when someone
// sleeps. Sleeps last a few milliseconds at most, and a failure or Close
// wakes every sleeper of the group. The connection still carries the
// control frames, so a peer that dies, aborts or leaves is noticed as
// over TCP, and a receive that gets nothing, or a send that finds no
// room, for IOTimeout fails through the same search for the stuck
// member. Each member maps RingBytes twice for every other member on its
// host (its own ring and the peer's), until Close, and the buffers its
// peers allocated, until Close.
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

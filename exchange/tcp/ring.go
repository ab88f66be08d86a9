package tcp

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/mariana-dl/mariana/exchange"
)

// Layout of a ring file, shared by two processes. Everything is
// little-endian; the counters and the futex words sit on cache lines of
// their own, so that the producer's writes and the consumer's do not
// contend for one line.
const (
	ringMagic   = 0x474e49524843584d // "MXCHRING" read as a little-endian uint64
	ringVersion = 2                  // 2 added reference records

	ringOffMagic   = 0   // uint64
	ringOffVersion = 8   // uint32
	ringOffSize    = 16  // uint64: bytes of the record area
	ringOffNonce   = 24  // 16 bytes, to tell this file from another
	ringOffHead    = 64  // uint64: bytes the producer has published
	ringOffTail    = 128 // uint64: bytes the consumer has released
	ringOffData    = 192 // futex word and flag the consumer sleeps on
	ringOffSpace   = 256 // futex word and flag the producer sleeps on

	// ringHeaderBytes is the header page; the record area follows it.
	ringHeaderBytes = 4096

	// A record is a 16-byte header (tag uint64, message length uint32,
	// chunk length uint32) and the chunk's payload, padded to a multiple
	// of recordAlign bytes. Records start on recordAlign boundaries, so a
	// header never wraps around the end of the area, and the payload is
	// 16-byte aligned for float32 access.
	recordHeader = 16
	recordAlign  = 64

	// A reference record passes a whole message that lies in a buffer
	// the receiver mapped (see region.go): its chunk length is refFlag |
	// refBytes, and its payload the buffer's id (uint32), zero (uint32)
	// and the message's byte offset in the buffer (uint64).
	refFlag  = 1 << 31
	refBytes = 16

	// ringChunkDiv sets the longest record to 1/ringChunkDiv of the
	// ring: a long message streams through in chunks that the receiver
	// uses while the sender writes the next.
	ringChunkDiv = 8
)

// ring is one direction between two members on one host: a
// single-producer, single-consumer queue of records in a shared mapping.
// The receiving member creates it; the sending member maps it too. Each
// side keeps its own position (pos) and publishes it in the header: the
// producer as head after writing a record, the consumer as tail after
// using one.
type ring struct {
	mem  []byte // the whole mapping
	data []byte // the record area
	size uint64 // len(data), a power of two

	head, tail *atomic.Uint64
	dataWait   waiter // the consumer waits here for records
	spaceWait  waiter // the producer waits here for free bytes
	pos        uint64 // this side's counter: head or tail
	maxRecord  uint64

	// nonce tells this ring's file from any other of the same path, and
	// path is that file until this side unlinks it.
	nonce [16]byte
	path  string
}

// waiter is a futex word and a flag that says someone sleeps on it, so
// that the other side only makes a system call to wake a sleeper.
type waiter struct {
	seq, sleeping *atomic.Uint32
}

// newRing views a mapping of ringHeaderBytes+size bytes as a ring.
func newRing(mem []byte, size uint64) *ring {
	word := func(off int) *atomic.Uint32 { return (*atomic.Uint32)(unsafe.Pointer(&mem[off])) }
	return &ring{
		mem:       mem,
		data:      mem[ringHeaderBytes : ringHeaderBytes+size],
		size:      size,
		head:      (*atomic.Uint64)(unsafe.Pointer(&mem[ringOffHead])),
		tail:      (*atomic.Uint64)(unsafe.Pointer(&mem[ringOffTail])),
		dataWait:  waiter{seq: word(ringOffData), sleeping: word(ringOffData + 4)},
		spaceWait: waiter{seq: word(ringOffSpace), sleeping: word(ringOffSpace + 4)},
		maxRecord: size / ringChunkDiv,
	}
}

// writeHeader stamps a new ring's identity into its header.
func (r *ring) writeHeader() {
	binary.LittleEndian.PutUint64(r.mem[ringOffMagic:], ringMagic)
	binary.LittleEndian.PutUint32(r.mem[ringOffVersion:], ringVersion)
	binary.LittleEndian.PutUint64(r.mem[ringOffSize:], r.size)
	copy(r.mem[ringOffNonce:ringOffNonce+16], r.nonce[:])
}

// checkHeader reports why a mapped file is not the ring that was offered,
// or "".
func (r *ring) checkHeader() string {
	switch {
	case binary.LittleEndian.Uint64(r.mem[ringOffMagic:]) != ringMagic:
		return "not a ring file"
	case binary.LittleEndian.Uint32(r.mem[ringOffVersion:]) != ringVersion:
		return "ring layout of another version"
	case binary.LittleEndian.Uint64(r.mem[ringOffSize:]) != r.size:
		return "ring of another size"
	case [16]byte(r.mem[ringOffNonce:ringOffNonce+16]) != r.nonce:
		return "another ring (nonce differs): the peer is on another host"
	}
	return ""
}

// recordLen is the bytes a record with n payload bytes takes.
func recordLen(n int) uint64 {
	return uint64(recordHeader+n+recordAlign-1) &^ (recordAlign - 1)
}

// free is how many bytes the producer may write without overwriting
// records the consumer has not released.
func (r *ring) free() uint64 { return r.size - (r.pos - r.tail.Load()) }

// published reports whether a record waits for the consumer.
func (r *ring) published() bool { return r.head.Load() != r.pos }

// chunk returns how much of rem payload bytes the producer may put in
// its next record once want bytes are free: the record may not pass the
// end of the area. want is what the producer waits for first.
func (r *ring) chunk(rem int) (n int, want uint64) {
	want = min(recordLen(rem), r.maxRecord)
	room := min(want, r.size-r.pos&(r.size-1))
	return min(rem, int(room)-recordHeader), want
}

// put writes a record with payload chunk at the producer's position and
// publishes it. The caller has made sure that it fits (see chunk).
func (r *ring) put(tag uint64, msgLen int, chunk []byte) {
	rec := r.data[r.pos&(r.size-1):]
	binary.LittleEndian.PutUint64(rec[0:], tag)
	binary.LittleEndian.PutUint32(rec[8:], uint32(msgLen))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(chunk)))
	copy(rec[recordHeader:], chunk)

	r.pos += recordLen(len(chunk))
	r.head.Store(r.pos)
	r.dataWait.wake()
}

// putRef writes a reference record for a message of msgLen bytes at byte
// offset off of buffer id, and publishes it. A record is at most 64 bytes
// and starts on a 64-byte boundary, so it always fits before the end.
func (r *ring) putRef(tag uint64, msgLen int, id uint32, off uint64) {
	rec := r.data[r.pos&(r.size-1):]
	binary.LittleEndian.PutUint64(rec[0:], tag)
	binary.LittleEndian.PutUint32(rec[8:], uint32(msgLen))
	binary.LittleEndian.PutUint32(rec[12:], refFlag|refBytes)
	binary.LittleEndian.PutUint32(rec[16:], id)
	binary.LittleEndian.PutUint32(rec[20:], 0)
	binary.LittleEndian.PutUint64(rec[24:], off)

	r.pos += recordLen(refBytes)
	r.head.Store(r.pos)
	r.dataWait.wake()
}

// record is a published record, viewed in place: a chunk of values in
// payload, or, if ref, a reference to a whole message at byte offset of
// buffer region.
type record struct {
	tag     uint64
	msgLen  int
	payload []byte

	ref    bool
	region uint32
	offset uint64
}

// next returns the record at the consumer's position, which must be
// published. A record that does not fit what the producer published is
// a protocol error: the memory is shared with another process, so it is
// checked as a frame from the network would be.
func (r *ring) next() (record, error) {
	avail := r.head.Load() - r.pos
	at := r.pos & (r.size - 1)
	bad := func(format string, args ...any) (record, error) {
		return record{}, fmt.Errorf("%w: shared-memory record at byte %d: "+format,
			append([]any{exchange.ErrProtocol, r.pos}, args...)...)
	}
	if avail > r.size || avail%recordAlign != 0 {
		return bad("%d bytes published, in a ring of %d", avail, r.size)
	}

	rec := r.data[at:]
	raw := binary.LittleEndian.Uint32(rec[12:])
	n, ref := int(raw&^refFlag), raw&refFlag != 0
	switch {
	case ref && n != refBytes:
		return bad("reference record of %d bytes, want %d", n, refBytes)
	case n%4 != 0:
		return bad("chunk of %d bytes, want whole float32 values", n)
	case recordLen(n) > avail || uint64(recordHeader+n) > r.size-at:
		return bad("chunk of %d bytes overruns the %d bytes published", n, avail)
	}
	out := record{
		tag:     binary.LittleEndian.Uint64(rec[0:]),
		msgLen:  int(binary.LittleEndian.Uint32(rec[8:])),
		payload: rec[recordHeader : recordHeader+n],
		ref:     ref,
	}
	if ref {
		if z := binary.LittleEndian.Uint32(out.payload[4:]); z != 0 {
			return bad("reference record with reserved word %#x, want 0", z)
		}
		out.region = binary.LittleEndian.Uint32(out.payload)
		out.offset = binary.LittleEndian.Uint64(out.payload[8:])
	}
	return out, nil
}

// release gives the record of n payload bytes at the consumer's position
// back to the producer.
func (r *ring) release(n int) {
	r.pos += recordLen(n)
	r.tail.Store(r.pos)
	r.spaceWait.wake()
}

// wake wakes the other side if it sleeps. The flag is read after the
// counter was published and the sleeper raises it before it looks at
// the counter a last time, so one of the two sees the other's write.
func (w waiter) wake() {
	if w.sleeping.Load() != 0 {
		w.seq.Add(1)
		futexWake(w.seq)
	}
}

// wakeAll wakes the sleeper unconditionally: the group failed or closed.
func (w waiter) wakeAll() {
	w.seq.Add(1)
	futexWake(w.seq)
}

// floats views a record payload, 16-byte aligned, as float32 values.
func floats(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// createRing makes a ring file of size record bytes in dir, maps it and
// stamps a fresh nonce into it. The file stays until unlink; the mapping
// until unmap.
func createRing(dir string, size uint64) (*ring, error) {
	mem, path, err := createMapped(dir, "mariana-exchange-", ringHeaderBytes+size)
	if err != nil {
		return nil, err
	}
	r := newRing(mem, size)
	r.path = path
	rand.Read(r.nonce[:])
	r.writeHeader()
	return r, nil
}

// openRing maps the ring file a peer offered and checks that it is the
// ring of that offer: same size and nonce.
func openRing(path string, size uint64, nonce [16]byte) (*ring, error) {
	mem, err := openMapped(path, ringHeaderBytes+size)
	if err != nil {
		return nil, err
	}
	r := newRing(mem, size)
	r.nonce = nonce
	if why := r.checkHeader(); why != "" {
		unmapMem(mem)
		return nil, fmt.Errorf("%s: %s", path, why)
	}
	return r, nil
}

// unlink removes the creator's ring file; the mappings stay.
func (r *ring) unlink() {
	if r.path != "" {
		unlinkPath(r.path)
		r.path = ""
	}
}

// unmap releases this process's mapping. The ring must not be used after.
func (r *ring) unmap() {
	unmapMem(r.mem)
	r.mem, r.data = nil, nil
}

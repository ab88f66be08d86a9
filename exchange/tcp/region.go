package tcp

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/mariana-dl/mariana/exchange"
)

// Note [Buffers by reference]
//
// Alloc puts a buffer in shared memory, so that a send from inside it to
// a member on this host passes a reference record through the ring
// instead of the values: the receiver copies or adds straight from the
// sender's buffer, as in-process members do, and the pass that copies the
// values into the ring is gone.
//
// The owner creates a buffer file (a region) next to its rings, with a
// random nonce in its header, and announces it to every peer it sends to
// through a ring, in a shm-buffer frame: the buffer's id, its size, the
// nonce and the file's path. The peer's reader goroutine maps the file,
// checks the nonce, keeps the mapping under the id and answers in a
// shm-mapped frame whether it did. Alloc waits for every answer (bounded
// by the I/O timeout, like any wait on a peer), then unlinks the file: as
// with the rings, the memory lives only as long as the mappings. Because
// a peer has mapped the buffer before it answers, and the owner refers to
// the buffer only after the answer, a reference never overtakes its
// buffer's announcement. A peer that could not map the buffer is sent
// copies from it, as before.
//
// A send by reference writes one record and then waits until the
// receiver has released it, which the receiver does only when it has
// used the values: the ring's tail is the consumption counter, and the
// sender waits on it as it waits for room, with the same timeout, the
// same wake-ups on failure and Close, and the same search for a stuck
// member. So Send still returns only when the caller may change the data.
//
// A reference to a buffer the receiver does not know, or past its end,
// is a protocol error, as a damaged record is.

// Layout of a region file: a header page, then the values.
const (
	regionMagic       = 0x4e4745524843584d // "MXCHREGN" read as a little-endian uint64
	regionVersion     = 1
	regionOffMagic    = 0  // uint64
	regionOffVersion  = 8  // uint32
	regionOffSize     = 16 // uint64: bytes of the data area
	regionOffNonce    = 24 // 16 bytes
	regionHeaderBytes = 4096

	// maxRegionBytes bounds the buffers a peer maps for another.
	maxRegionBytes = 1 << 40
)

// region is a buffer in a shared file: one this member allocated (owned)
// or one a peer announced and this member mapped.
type region struct {
	id    uint32
	mem   []byte // the whole mapping
	data  []byte // the values
	nonce [16]byte
	path  string // the file until the owner unlinks it

	// base and bytes locate data in this process, for the senders that
	// test slices against an owned region while Free may unmap it.
	base, bytes uintptr

	// mapped says, by rank, which peers mapped an owned region: sends to
	// them from inside it go by reference. Set before the region is
	// published to senders, and never changed after.
	mapped []bool
}

func newRegion(mem []byte, size uint64) *region {
	g := &region{mem: mem, data: mem[regionHeaderBytes : regionHeaderBytes+size]}
	g.bytes = uintptr(size)
	if size > 0 {
		g.base = uintptr(unsafe.Pointer(&g.data[0]))
	}
	return g
}

// createRegion makes a region file of size data bytes in dir and maps it.
func createRegion(dir string, size uint64) (*region, error) {
	mem, path, err := createMapped(dir, "mariana-buffer-", regionHeaderBytes+size)
	if err != nil {
		return nil, err
	}
	g := newRegion(mem, size)
	g.path = path
	rand.Read(g.nonce[:])
	binary.LittleEndian.PutUint64(mem[regionOffMagic:], regionMagic)
	binary.LittleEndian.PutUint32(mem[regionOffVersion:], regionVersion)
	binary.LittleEndian.PutUint64(mem[regionOffSize:], size)
	copy(mem[regionOffNonce:regionOffNonce+16], g.nonce[:])
	return g, nil
}

// openRegion maps the region file a peer announced and checks that it is
// that region: same size and nonce.
func openRegion(path string, size uint64, nonce [16]byte) (*region, error) {
	mem, err := openMapped(path, regionHeaderBytes+size)
	if err != nil {
		return nil, err
	}
	why := ""
	switch {
	case binary.LittleEndian.Uint64(mem[regionOffMagic:]) != regionMagic:
		why = "not a buffer file"
	case binary.LittleEndian.Uint32(mem[regionOffVersion:]) != regionVersion:
		why = "buffer layout of another version"
	case binary.LittleEndian.Uint64(mem[regionOffSize:]) != size:
		why = "buffer of another size"
	case [16]byte(mem[regionOffNonce:regionOffNonce+16]) != nonce:
		why = "another buffer (nonce differs)"
	}
	if why != "" {
		unmapMem(mem)
		return nil, fmt.Errorf("%s: %s", path, why)
	}
	g := newRegion(mem, size)
	g.nonce = nonce
	return g, nil
}

// unlink removes the owner's file; the mappings stay.
func (g *region) unlink() {
	if g.path != "" {
		unlinkPath(g.path)
		g.path = ""
	}
}

// unmap releases this process's mapping.
func (g *region) unmap() {
	unmapMem(g.mem)
	g.mem, g.data = nil, nil
}

// bufferOffer is the payload of a shm-buffer frame: the buffer's id
// (uint32), its data bytes (uint64), its nonce (16 bytes) and its file's
// path.
type bufferOffer struct {
	id    uint32
	size  uint64
	nonce [16]byte
	path  string
}

func (o bufferOffer) encode() []byte {
	b := binary.LittleEndian.AppendUint32(make([]byte, 0, 28+len(o.path)), o.id)
	b = binary.LittleEndian.AppendUint64(b, o.size)
	return append(append(b, o.nonce[:]...), o.path...)
}

func parseBufferOffer(b []byte) (bufferOffer, error) {
	if len(b) <= 28 {
		return bufferOffer{}, fmt.Errorf("%w: shm-buffer of %d bytes, want more than 28",
			exchange.ErrProtocol, len(b))
	}
	o := bufferOffer{id: binary.LittleEndian.Uint32(b), size: binary.LittleEndian.Uint64(b[4:]),
		nonce: [16]byte(b[12:28]), path: string(b[28:])}
	if o.size == 0 || o.size%4 != 0 || o.size > maxRegionBytes {
		return bufferOffer{}, fmt.Errorf("%w: shm-buffer of %d bytes", exchange.ErrProtocol,
			o.size)
	}
	return o, nil
}

// bufferAnswer is the payload of a shm-mapped frame: the buffer's id
// (uint32) and 1 if the peer mapped it, else 0.
type bufferAnswer struct {
	id     uint32
	mapped bool
}

func (a bufferAnswer) encode() []byte {
	b := binary.LittleEndian.AppendUint32(make([]byte, 0, 5), a.id)
	if a.mapped {
		return append(b, 1)
	}
	return append(b, 0)
}

func parseBufferAnswer(b []byte) (bufferAnswer, error) {
	if len(b) != 5 || b[4] > 1 {
		return bufferAnswer{}, fmt.Errorf("%w: shm-mapped % x, want 5 bytes ending in 0 or 1",
			exchange.ErrProtocol, b)
	}
	return bufferAnswer{id: binary.LittleEndian.Uint32(b), mapped: b[4] == 1}, nil
}

// Alloc implements exchange.Allocator: it returns n zeroed values in
// shared memory that every member this one sends to through a ring has
// mapped (Note [Buffers by reference]), or ordinary memory when no peer
// is on this host or the buffer cannot be made. It fails only when the
// group does. The buffer stays valid until Free, after Close too.
func (t *Transport) Alloc(n int) ([]float32, error) {
	if n < 0 {
		return nil, fmt.Errorf("%w: tcp: alloc of %d values", exchange.ErrConfig, n)
	}
	if t.failed() != nil {
		return nil, t.failure()
	}
	var to []*peer
	for _, p := range t.peers {
		if p != nil && p.shmOut {
			to = append(to, p)
		}
	}
	if n == 0 || len(to) == 0 || 4*uint64(n) > maxRegionBytes {
		return make([]float32, n), nil
	}

	t.allocMu.Lock()
	defer t.allocMu.Unlock()
	g, err := createRegion(t.shmDir, 4*uint64(n))
	if err != nil {
		// As with a ring that cannot be made: copies instead of an error.
		return make([]float32, n), nil
	}
	defer g.unlink()
	t.lastRegion++
	g.id = t.lastRegion
	g.mapped = make([]bool, len(t.peers))
	if err := t.announce(g, to); err != nil {
		g.unmap()
		return nil, err
	}

	list := []*region{g}
	if old := t.owned.Load(); old != nil {
		list = append(slices.Clone(*old), g)
	}
	t.owned.Store(&list)
	return floats(g.data), nil
}

// announce tells the peers in to of the owned region g and waits until
// each has answered whether it mapped it.
func (t *Transport) announce(g *region, to []*peer) error {
	frame := appendControl(nil, kindShmBuffer, t.rank,
		bufferOffer{id: g.id, size: uint64(len(g.data)), nonce: g.nonce, path: g.path}.encode())
	deadline := time.Now().Add(t.ioTimeout)
	for _, p := range to {
		if !p.lockBefore(deadline) {
			return t.fail(t.stuck(p, "alloc", "connection not free for a buffer's announcement"))
		}
		p.conn.SetWriteDeadline(deadline)
		_, err := p.conn.Write(frame)
		p.wmu.Unlock()
		if err != nil {
			return t.fail(p.errorf("alloc", fmt.Errorf("%w: %v", exchange.ErrPeerLost, err)))
		}
	}

	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for _, p := range to {
		select {
		case a := <-p.bufferAnswers:
			if a.id != g.id {
				return t.fail(p.errorf("alloc", fmt.Errorf("%w: shm-mapped for buffer %d, "+
					"want %d", exchange.ErrProtocol, a.id, g.id)))
			}
			g.mapped[p.rank] = a.mapped
		case <-p.gone:
			if p.left.Load() {
				return t.fail(p.errorf("alloc", exchange.ErrPeerClosed))
			}
			return t.fail(p.err)
		case <-t.done:
			return t.failure()
		case <-timer.C:
			return t.fail(t.stuck(p, "alloc", "no answer to a buffer's announcement"))
		}
	}
	return nil
}

// Free implements exchange.Allocator: it unmaps a buffer from Alloc.
//
// TODO: the peers keep their mappings of a freed buffer until they close;
// a transport that allocates and frees buffers again and again would
// need a frame that tells them to let go. Data-parallel members allocate
// theirs once per transport.
func (t *Transport) Free(buf []float32) error {
	if len(buf) == 0 {
		return nil
	}
	t.allocMu.Lock()
	defer t.allocMu.Unlock()
	old := t.owned.Load()
	if old == nil {
		return nil
	}
	at := uintptr(unsafe.Pointer(&buf[0]))
	i := slices.IndexFunc(*old, func(g *region) bool { return g.base == at })
	if i < 0 {
		return nil
	}
	g := (*old)[i]
	list := slices.Delete(slices.Clone(*old), i, i+1)
	t.owned.Store(&list)
	g.unmap()
	return nil
}

// ownedRegion finds the owned region that holds all of data and that
// member rank mapped, and data's byte offset in it.
func (t *Transport) ownedRegion(data []float32, rank int) (*region, uint64, bool) {
	list := t.owned.Load()
	if list == nil || len(data) == 0 {
		return nil, 0, false
	}
	lo := uintptr(unsafe.Pointer(&data[0]))
	hi := lo + 4*uintptr(len(data))
	for _, g := range *list {
		if g.mapped[rank] && lo >= g.base && hi <= g.base+g.bytes {
			return g, uint64(lo - g.base), true
		}
	}
	return nil, 0, false
}

// mapBuffer maps the buffer that p announced in a shm-buffer frame and
// answers whether it did. It runs on p's reader goroutine, so that the
// answer comes however busy this member's exchanges are.
func (p *peer) mapBuffer(payload []byte) error {
	o, err := parseBufferOffer(payload)
	if err != nil {
		return err
	}
	if !p.shmIn {
		return fmt.Errorf("%w: shm-buffer from a peer that does not send through shared memory",
			exchange.ErrProtocol)
	}
	p.regMu.Lock()
	_, dup := p.regions[o.id]
	p.regMu.Unlock()
	if dup {
		return fmt.Errorf("%w: shm-buffer %d announced twice", exchange.ErrProtocol, o.id)
	}

	answer := bufferAnswer{id: o.id}
	if g, err := openRegion(o.path, o.size, o.nonce); err == nil {
		g.id = o.id
		p.regMu.Lock()
		p.regions[o.id] = g
		p.regMu.Unlock()
		answer.mapped = true
	}

	// The owner waits for the answer up to its I/O timeout; a connection
	// held longer than that is stuck, and the owner names the culprit.
	deadline := time.Now().Add(p.t.ioTimeout)
	if !p.lockBefore(deadline) {
		return nil
	}
	defer p.wmu.Unlock()
	p.conn.SetWriteDeadline(deadline)
	p.conn.Write(appendControl(nil, kindShmMapped, p.t.rank, answer.encode()))
	return nil
}

// gotBufferAnswer hands an answer to shm-buffer to the Alloc waiting for
// it; an answer nobody asked for is a protocol error.
func (p *peer) gotBufferAnswer(payload []byte) error {
	a, err := parseBufferAnswer(payload)
	if err != nil {
		return err
	}
	select {
	case p.bufferAnswers <- a:
		return nil
	default:
		return fmt.Errorf("%w: shm-mapped for buffer %d, which was not announced",
			exchange.ErrProtocol, a.id)
	}
}

// refValues returns the n bytes at byte offset off of p's buffer id as
// values, or the protocol error of a reference that names no buffer of
// p's or reaches past its end.
func (p *peer) refValues(id uint32, off uint64, n int) ([]float32, error) {
	p.regMu.Lock()
	g := p.regions[id]
	p.regMu.Unlock()
	switch {
	case g == nil:
		return nil, fmt.Errorf("%w: shared-memory reference to buffer %d, which the peer "+
			"did not announce", exchange.ErrProtocol, id)
	case off%4 != 0 || off > uint64(len(g.data)) || uint64(n) > uint64(len(g.data))-off:
		return nil, fmt.Errorf("%w: shared-memory reference to %d bytes at byte %d of "+
			"buffer %d, which has %d", exchange.ErrProtocol, n, off, id, len(g.data))
	}
	return floats(g.data[off : off+uint64(n)]), nil
}

// releaseRegions unmaps the buffers p announced, once no receive uses
// them.
func (p *peer) releaseRegions() {
	p.rmu.Lock()
	defer p.rmu.Unlock()
	p.regMu.Lock()
	defer p.regMu.Unlock()
	for id, g := range p.regions {
		g.unmap()
		delete(p.regions, id)
	}
}

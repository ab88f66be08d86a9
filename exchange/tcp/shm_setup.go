package tcp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"

	"github.com/mariana-dl/mariana/exchange"
)

// Note [Setting up shared memory]
//
// Right after the handshake both ends of a connection do the same, in
// the same order. Each, as a receiver, offers a ring: it creates a ring
// file and sends its size, nonce and path in a shm-offer frame, or sends
// an empty offer when it has none (shared memory off, the peer not on
// this host as far as the addresses tell, or the file could not be
// made). Each then reads the peer's offer, maps that file if it can and
// its header carries the offered nonce, and says in a shm-answer frame
// whether it will send on it. The opener unlinks the file as soon as it
// has mapped it, the creator when the answer comes in, whatever it is:
// from then on the memory lives only as long as the two mappings, so a
// process that is killed leaves nothing behind. A direction whose offer
// is refused or missing uses TCP data frames, as between hosts; none of
// this ever fails the handshake, short of a broken connection or a peer
// that breaks the protocol.

// rings are the shared-memory rings of one pair of members: in, which
// this member created and receives on, and out, which the peer created
// and this member sends on. Either is nil where that direction uses TCP.
type rings struct{ in, out *ring }

// release unlinks and unmaps the rings of a connection that is not used.
func (rs rings) release() {
	for _, r := range []*ring{rs.in, rs.out} {
		if r != nil {
			r.unlink()
			r.unmap()
		}
	}
}

// offer is the payload of a shm-offer frame: empty for no ring, or the
// ring's record bytes (uint64), its nonce (16 bytes) and its file's path.
type offer struct {
	size  uint64
	nonce [16]byte
	path  string
}

func (o offer) encode() []byte {
	if o.path == "" {
		return nil
	}
	b := binary.LittleEndian.AppendUint64(make([]byte, 0, 24+len(o.path)), o.size)
	return append(append(b, o.nonce[:]...), o.path...)
}

func parseOffer(b []byte) (offer, error) {
	if len(b) == 0 {
		return offer{}, nil
	}
	if len(b) <= 24 {
		return offer{}, fmt.Errorf("%w: shm-offer of %d bytes, want none or more than 24",
			exchange.ErrProtocol, len(b))
	}
	o := offer{size: binary.LittleEndian.Uint64(b), nonce: [16]byte(b[8:24]), path: string(b[24:])}
	if !validRingBytes(o.size) {
		return offer{}, fmt.Errorf("%w: shm-offer of a ring of %d bytes", exchange.ErrProtocol,
			o.size)
	}
	return o, nil
}

// setupShm agrees with the peer of rank peer on conn which directions
// use shared memory (see Note [Setting up shared memory]). It fails only
// when the connection does.
func setupShm(cfg Config, conn net.Conn, br *bufio.Reader, peer int) (rs rings, err error) {
	defer func() {
		if err != nil {
			rs.release()
			rs = rings{}
		}
	}()

	var mine offer
	if !cfg.NoSharedMemory && shmSupported && sameHost(conn) {
		dir := cfg.SharedMemoryDir
		if dir == "" {
			dir = defaultShmDir()
		}
		if r, err := createRing(dir, uint64(cfg.RingBytes)); err == nil {
			rs.in = r
			mine = offer{size: r.size, nonce: r.nonce, path: r.path}
		}
	}
	if _, err := conn.Write(appendControl(nil, kindShmOffer, cfg.Rank, mine.encode())); err != nil {
		return rs, err
	}
	payload, err := readSetup(br, kindShmOffer, peer)
	if err != nil {
		return rs, err
	}
	theirs, err := parseOffer(payload)
	if err != nil {
		return rs, err
	}

	answer := []byte{0}
	if theirs.path != "" && !cfg.NoSharedMemory && shmSupported {
		if r, err := openRing(theirs.path, theirs.size, theirs.nonce); err == nil {
			r.path = theirs.path
			r.unlink()
			rs.out, answer[0] = r, 1
		}
	}
	if _, err := conn.Write(appendControl(nil, kindShmAnswer, cfg.Rank, answer)); err != nil {
		return rs, err
	}
	payload, err = readSetup(br, kindShmAnswer, peer)
	if err != nil {
		return rs, err
	}
	if rs.in != nil {
		rs.in.unlink()
	}
	switch {
	case len(payload) != 1 || payload[0] > 1 || payload[0] == 1 && rs.in == nil:
		return rs, fmt.Errorf("%w: shm-answer % x to an offer of %d bytes", exchange.ErrProtocol,
			payload, len(mine.encode()))
	case payload[0] == 0 && rs.in != nil:
		rs.in.unmap()
		rs.in = nil
	}
	return rs, nil
}

// readSetup reads the next handshake frame, which must be of kind k and
// come from rank peer.
func readSetup(br *bufio.Reader, k kind, peer int) ([]byte, error) {
	h, payload, err := readControl(br)
	switch {
	case err != nil:
		return nil, err
	case h.kind == kindRefuse:
		return nil, fmt.Errorf("%w: %s", exchange.ErrHandshake, payload)
	case h.kind != k:
		return nil, fmt.Errorf("%w: %v frame instead of %v", exchange.ErrProtocol, h.kind, k)
	case int(h.sender) != peer:
		return nil, fmt.Errorf("%w: %v frame from rank %d on the connection to rank %d",
			exchange.ErrProtocol, k, h.sender, peer)
	}
	return payload, nil
}

// sameHost reports whether conn joins two processes of one host as far
// as its addresses tell: over loopback, or with one address at both
// ends. The nonce in the ring settles it; this only spares remote peers
// a file they cannot open.
func sameHost(conn net.Conn) bool {
	local, ok := conn.LocalAddr().(*net.TCPAddr)
	remote, ok2 := conn.RemoteAddr().(*net.TCPAddr)
	return ok && ok2 && (remote.IP.IsLoopback() || local.IP.Equal(remote.IP))
}

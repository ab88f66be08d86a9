package tcp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/internal/vec"
	"github.com/mariana-dl/mariana/exchange/internal/waits"
)

// Wire format constants; see the package overview for the layout.
const (
	magic     = 0x4843584d // "MXCH" read as a little-endian uint32
	version   = 3
	headerLen = 32
	crcOffset = 28

	// MaxFrameBytes is the largest frame payload a member accepts, and
	// the largest Config.FrameBytes. Longer messages travel as several
	// frames.
	MaxFrameBytes = 16 << 20

	// maxControlBytes bounds the payload of handshake and abort frames.
	maxControlBytes = 64 << 10
)

// kind is the type of a frame.
type kind uint8

const (
	kindData      kind = iota + 1 // a piece of a message of float32 values
	kindHello                     // handshake: who the sender is
	kindReady                     // handshake: the dialer accepts the acceptor
	kindRefuse                    // handshake: the connection is refused, and why
	kindAbort                     // the sender failed; the group must stop
	kindBye                       // the sender leaves the group
	kindProbe                     // what does the receiver wait on?
	kindWaits                     // the answer to a probe
	kindShmOffer                  // handshake: a shared-memory ring to send on, or none
	kindShmAnswer                 // handshake: whether the offered ring was mapped
	kindShmBuffer                 // a buffer in shared memory that sends may refer to
	kindShmMapped                 // the answer to shm-buffer: whether it was mapped

	lastKind = kindShmMapped
)

var kindNames = [...]string{
	"", "data", "hello", "ready", "refuse", "abort", "bye", "probe", "waits", "shm-offer",
	"shm-answer", "shm-buffer", "shm-mapped",
}

func (k kind) String() string {
	if int(k) < len(kindNames) && k > 0 {
		return kindNames[k]
	}
	return fmt.Sprintf("kind %d", uint8(k))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is a decoded frame header.
type header struct {
	kind   kind
	sender uint32
	tag    uint64
	msgLen uint32 // payload bytes of the whole message
	length uint32 // payload bytes of this frame
	crc    uint32
}

// put encodes h into b and sets the checksum over b and payload, whose
// length must be h.length.
func (h *header) put(b *[headerLen]byte, payload []byte) {
	binary.LittleEndian.PutUint32(b[0:], magic)
	b[4] = version
	b[5] = byte(h.kind)
	b[6], b[7] = 0, 0
	binary.LittleEndian.PutUint32(b[8:], h.sender)
	binary.LittleEndian.PutUint64(b[12:], h.tag)
	binary.LittleEndian.PutUint32(b[20:], h.msgLen)
	binary.LittleEndian.PutUint32(b[24:], h.length)
	h.crc = frameCRC(b, payload)
	binary.LittleEndian.PutUint32(b[crcOffset:], h.crc)
}

// frameCRC is the CRC-32C of the header without its checksum field,
// followed by the payload.
func frameCRC(b *[headerLen]byte, payload []byte) uint32 {
	crc := crc32.Update(0, castagnoli, b[:crcOffset])
	return crc32.Update(crc, castagnoli, payload)
}

// parseHeader decodes and checks a frame header read at byte offset off
// of the stream.
func parseHeader(b *[headerLen]byte, off int64) (header, error) {
	if m := binary.LittleEndian.Uint32(b[0:]); m != magic {
		return header{}, fmt.Errorf("%w: frame at byte %d of the stream starts with %#08x, "+
			"want magic %#08x (not a Mariana exchange peer?)", exchange.ErrProtocol, off, m, magic)
	}
	if b[4] != version {
		return header{}, fmt.Errorf("%w: frame at byte %d: protocol version %d, want %d",
			exchange.ErrProtocol, off, b[4], version)
	}
	h := header{
		kind:   kind(b[5]),
		sender: binary.LittleEndian.Uint32(b[8:]),
		tag:    binary.LittleEndian.Uint64(b[12:]),
		msgLen: binary.LittleEndian.Uint32(b[20:]),
		length: binary.LittleEndian.Uint32(b[24:]),
		crc:    binary.LittleEndian.Uint32(b[crcOffset:]),
	}
	bad := func(format string, args ...any) (header, error) {
		return header{}, fmt.Errorf("%w: %v frame at byte %d: "+format,
			append([]any{exchange.ErrProtocol, h.kind, off}, args...)...)
	}
	switch {
	case h.kind < kindData || h.kind > lastKind:
		return bad("unknown frame kind")
	case b[6] != 0 || b[7] != 0:
		return bad("reserved bytes 6-7 are %#02x %#02x, want 0", b[6], b[7])
	case h.length > MaxFrameBytes:
		return bad("payload of %d bytes exceeds the limit of %d", h.length, MaxFrameBytes)
	case h.kind == kindData && (h.length%4 != 0 || h.msgLen%4 != 0):
		return bad("payload of %d bytes in a message of %d, want whole float32 values",
			h.length, h.msgLen)
	case h.kind == kindData && h.length > h.msgLen:
		return bad("payload of %d bytes in a message of %d", h.length, h.msgLen)
	case h.kind != kindData && h.length > maxControlBytes:
		return bad("payload of %d bytes exceeds the limit of %d", h.length, maxControlBytes)
	case h.kind != kindData && h.msgLen != h.length:
		return bad("message length %d differs from payload length %d", h.msgLen, h.length)
	}
	return h, nil
}

// readFrame reads one frame at byte offset off of the stream. The payload
// is read into *store, grown as needed, and returned as a byte view of
// it; store is kept as float32 so data payloads are aligned for use as
// float32 values. A stream that ends cleanly before a frame gives io.EOF.
func readFrame(r io.Reader, b *[headerLen]byte, store *[]float32,
	off int64) (header, []byte, error) {
	if _, err := io.ReadFull(r, b[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return header{}, nil, fmt.Errorf("%w: stream ends inside the frame header at byte %d",
				exchange.ErrProtocol, off)
		}
		return header{}, nil, err
	}
	h, err := parseHeader(b, off)
	if err != nil {
		return header{}, nil, err
	}

	words := (int(h.length) + 3) / 4
	if cap(*store) < words {
		*store = make([]float32, words)
	}
	payload := vec.Bytes((*store)[:words])[:h.length]
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return header{}, nil, fmt.Errorf("%w: stream ends inside the payload of the %v frame "+
				"at byte %d", exchange.ErrProtocol, h.kind, off)
		}
		return header{}, nil, err
	}
	if got := frameCRC(b, payload); got != h.crc {
		return header{}, nil, fmt.Errorf("%w: %v frame of tag %#x at byte %d of the stream "+
			"has CRC-32C %#08x, its bytes give %#08x", exchange.ErrChecksum, h.kind, h.tag, off,
			h.crc, got)
	}
	return h, payload, nil
}

// appendControl appends a whole control frame from sender to dst.
func appendControl(dst []byte, k kind, sender int, payload []byte) []byte {
	var b [headerLen]byte
	h := header{kind: k, sender: uint32(sender), msgLen: uint32(len(payload)),
		length: uint32(len(payload))}
	h.put(&b, payload)
	return append(append(dst, b[:]...), payload...)
}

// hello is the handshake payload: who the sender believes it talks to.
type hello struct {
	size   uint32 // members of the group
	target uint32 // the rank the sender believes the receiver has
	job    string
}

func (h hello) encode() []byte {
	b := make([]byte, 10, 10+len(h.job))
	binary.LittleEndian.PutUint32(b[0:], h.size)
	binary.LittleEndian.PutUint32(b[4:], h.target)
	binary.LittleEndian.PutUint16(b[8:], uint16(len(h.job)))
	return append(b, h.job...)
}

func parseHello(b []byte) (hello, error) {
	if len(b) < 10 {
		return hello{}, fmt.Errorf("%w: hello of %d bytes, want at least 10",
			exchange.ErrProtocol, len(b))
	}
	n := int(binary.LittleEndian.Uint16(b[8:]))
	if len(b) != 10+n {
		return hello{}, fmt.Errorf("%w: hello of %d bytes with a job id of %d, want %d bytes",
			exchange.ErrProtocol, len(b), n, 10+n)
	}
	return hello{
		size:   binary.LittleEndian.Uint32(b[0:]),
		target: binary.LittleEndian.Uint32(b[4:]),
		job:    string(b[10:]),
	}, nil
}

// abort is the payload of an abort frame: the failure the sender saw.
type abort struct {
	culprit int32  // the rank at fault, or -1
	code    uint8  // the failure's sentinel, see codes
	op      string // what failed
	text    string // the cause, in words
}

// codes numbers the sentinels an abort can carry; 0 is none.
var codes = []error{nil, exchange.ErrTimeout, exchange.ErrPeerLost, exchange.ErrPeerClosed,
	exchange.ErrChecksum, exchange.ErrProtocol, exchange.ErrHandshake, exchange.ErrClosed}

func codeOf(err error) uint8 {
	for i, c := range codes[1:] {
		if errors.Is(err, c) {
			return uint8(i + 1)
		}
	}
	return 0
}

func (a abort) encode() []byte {
	op, text := truncate(a.op, 255), truncate(a.text, maxControlBytes-16-255)
	b := make([]byte, 6, 6+len(op)+len(text))
	binary.LittleEndian.PutUint32(b[0:], uint32(a.culprit))
	b[4] = a.code
	b[5] = uint8(len(op))
	return append(append(b, op...), text...)
}

func parseAbort(b []byte) (abort, error) {
	if len(b) < 6 || len(b) < 6+int(b[5]) {
		return abort{}, fmt.Errorf("%w: abort of %d bytes is too short",
			exchange.ErrProtocol, len(b))
	}
	a := abort{
		culprit: int32(binary.LittleEndian.Uint32(b[0:])),
		code:    b[4],
		op:      string(b[6 : 6+int(b[5])]),
		text:    string(b[6+int(b[5]):]),
	}
	if int(a.code) >= len(codes) {
		a.code = 0
	}
	return a, nil
}

// encodeWaits is the payload of a waits frame: a count, then the rank
// and nanoseconds of each wait.
func encodeWaits(ws []waits.Wait) []byte {
	b := make([]byte, 2, 2+12*len(ws))
	binary.LittleEndian.PutUint16(b, uint16(len(ws)))
	for _, w := range ws {
		b = binary.LittleEndian.AppendUint32(b, uint32(w.Rank))
		b = binary.LittleEndian.AppendUint64(b, uint64(w.For))
	}
	return b
}

func parseWaits(b []byte) ([]waits.Wait, error) {
	if len(b) < 2 || len(b) != 2+12*int(binary.LittleEndian.Uint16(b)) {
		return nil, fmt.Errorf("%w: waits of %d bytes", exchange.ErrProtocol, len(b))
	}
	ws := make([]waits.Wait, binary.LittleEndian.Uint16(b))
	for i := range ws {
		at := b[2+12*i:]
		ws[i] = waits.Wait{
			Rank: int(binary.LittleEndian.Uint32(at)),
			For:  time.Duration(binary.LittleEndian.Uint64(at[4:])),
		}
	}
	return ws, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

package tcp

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/internal/vec"
)

// dataFrame returns one encoded data frame carrying values.
func dataFrame(sender int, tag uint64, values []float32) []byte {
	payload := make([]byte, 4*len(values))
	vec.Encode(payload, values)
	var b [headerLen]byte
	h := header{kind: kindData, sender: uint32(sender), tag: tag,
		msgLen: uint32(len(payload)), length: uint32(len(payload))}
	h.put(&b, payload)
	return append(b[:], payload...)
}

func TestFrameRoundTrip(t *testing.T) {
	var stream []byte
	stream = append(stream, dataFrame(3, 0x1234, []float32{1, -2.5, 1e-30})...)
	stream = appendControl(stream, kindHello, 3, hello{size: 4, target: 1, job: "j"}.encode())
	stream = appendControl(stream, kindBye, 3, nil)

	r := bytes.NewReader(stream)
	var hb [headerLen]byte
	var store []float32
	h, payload, err := readFrame(r, &hb, &store, 0)
	if err != nil || h.kind != kindData || h.tag != 0x1234 || h.sender != 3 || len(payload) != 12 {
		t.Fatalf("data frame: %+v, %d bytes, %v", h, len(payload), err)
	}
	if store[0] != 1 || store[1] != -2.5 || store[2] != 1e-30 {
		t.Fatalf("data frame values %v", store[:3])
	}
	h, payload, err = readFrame(r, &hb, &store, 44)
	if err != nil || h.kind != kindHello {
		t.Fatalf("hello frame: %+v, %v", h, err)
	}
	if hl, err := parseHello(payload); err != nil || hl != (hello{size: 4, target: 1, job: "j"}) {
		t.Fatalf("hello payload %+v, %v", hl, err)
	}
	if h, _, err = readFrame(r, &hb, &store, 0); err != nil || h.kind != kindBye {
		t.Fatalf("bye frame: %+v, %v", h, err)
	}
	if _, _, err = readFrame(r, &hb, &store, 0); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

// TestFrameDamage checks that every kind of damage gives the right
// sentinel and a message with the stream offset.
func TestFrameDamage(t *testing.T) {
	good := dataFrame(1, 7, []float32{1, 2, 3, 4})
	cases := []struct {
		name   string
		damage func([]byte) []byte
		want   error
	}{
		{"payload byte flipped", func(b []byte) []byte { b[headerLen+5] ^= 0x10; return b },
			exchange.ErrChecksum},
		{"tag flipped", func(b []byte) []byte { b[12] ^= 1; return b }, exchange.ErrChecksum},
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, exchange.ErrProtocol},
		{"version", func(b []byte) []byte { b[4] = 9; return b }, exchange.ErrProtocol},
		{"kind", func(b []byte) []byte { b[5] = 77; return b }, exchange.ErrProtocol},
		{"reserved", func(b []byte) []byte { b[7] = 1; return b }, exchange.ErrProtocol},
		{"odd length", func(b []byte) []byte { b[24] = 3; return b }, exchange.ErrProtocol},
		{"huge length", func(b []byte) []byte { b[27] = 0x7f; return b }, exchange.ErrProtocol},
		{"truncated header", func(b []byte) []byte { return b[:20] }, exchange.ErrProtocol},
		{"truncated payload", func(b []byte) []byte { return b[:headerLen+3] },
			exchange.ErrProtocol},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.damage(bytes.Clone(good))
			var hb [headerLen]byte
			var store []float32
			_, _, err := readFrame(bytes.NewReader(b), &hb, &store, 4096)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if !bytes.Contains([]byte(err.Error()), []byte("4096")) {
				t.Errorf("%q does not give the stream offset 4096", err)
			}
		})
	}
}

func TestAbortPayload(t *testing.T) {
	a := abort{culprit: 2, code: codeOf(exchange.ErrPeerLost), op: "read", text: "EOF"}
	got, err := parseAbort(a.encode())
	if err != nil || got != a {
		t.Fatalf("abort round trip: %+v, %v; want %+v", got, err, a)
	}
	if codes[got.code] != exchange.ErrPeerLost {
		t.Fatalf("code %d maps to %v", got.code, codes[got.code])
	}
	if _, err := parseAbort([]byte{1, 0, 0, 0, 0, 9, 'x'}); !errors.Is(err, exchange.ErrProtocol) {
		t.Fatalf("short abort: %v", err)
	}
}

// FuzzReadFrame feeds arbitrary streams to the frame reader: it must
// never panic, only accept frames whose checksum holds, and decode them
// so that encoding again gives the same bytes.
func FuzzReadFrame(f *testing.F) {
	f.Add(dataFrame(1, 7, []float32{1, 2, 3}))
	f.Add(dataFrame(0, 0, nil))
	f.Add(appendControl(nil, kindHello, 2, hello{size: 3, target: 0, job: "job"}.encode()))
	late := abort{culprit: 2, code: 1, op: "recv", text: "late"}
	f.Add(appendControl(nil, kindAbort, 1, late.encode()))
	f.Add(appendControl(appendControl(nil, kindReady, 1, nil), kindBye, 1, nil))
	f.Add(appendControl(nil, kindRefuse, 0, []byte("job differs")))
	f.Add([]byte("MXCH\x01\x01\x00\x00"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, stream []byte) {
		r := bytes.NewReader(stream)
		var hb [headerLen]byte
		var store []float32
		var off int64
		for {
			h, payload, err := readFrame(r, &hb, &store, off)
			if err != nil {
				if err != io.EOF && !errors.Is(err, exchange.ErrProtocol) &&
					!errors.Is(err, exchange.ErrChecksum) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				return
			}
			var again [headerLen]byte
			h2 := h
			h2.put(&again, payload)
			consumed := stream[off : off+headerLen+int64(len(payload))]
			if !bytes.Equal(append(again[:], payload...), consumed) {
				t.Fatalf("frame %+v does not encode back to its bytes", h)
			}
			switch h.kind {
			case kindHello:
				parseHello(payload)
			case kindAbort:
				parseAbort(payload)
			}
			off += headerLen + int64(len(payload))
		}
	})
}

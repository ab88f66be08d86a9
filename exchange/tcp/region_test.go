package tcp

import (
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

// allocAll has every member of ts allocate n values, and fails t on an
// error or on a buffer that is not in shared memory.
func allocAll(t *testing.T, ts []*Transport, n int) [][]float32 {
	t.Helper()
	bufs := make([][]float32, len(ts))
	for r, tr := range ts {
		buf, err := tr.Alloc(n)
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
		if len(buf) != n {
			t.Fatalf("rank %d: Alloc(%d) gave %d values", r, n, len(buf))
		}
		if g, _, ok := tr.ownedRegion(buf, 1-r%2); shmSupported && (!ok || g == nil) {
			t.Fatalf("rank %d: the buffer is not in shared memory", r)
		}
		bufs[r] = buf
	}
	return bufs
}

// TestSendByReference sends messages from buffers in shared memory, both
// ways at once, with Recv and RecvAdd: they go by reference, and arrive
// and count exactly as copies from ordinary memory do.
func TestSendByReference(t *testing.T) {
	if !shmSupported {
		t.Skip("no shared memory on this platform")
	}
	// Pieces of a buffer of 400,000 values: longer than the ring, at odd
	// offsets, the whole buffer, and its last value.
	const n = 400_000
	type piece struct{ lo, hi int }
	pieces := []piece{{0, 1}, {3, 1003}, {7, 300_007}, {0, n}, {n - 1, n}, {5, 16389}}
	msg := func(from, size, salt int) []float32 {
		m := make([]float32, size)
		for i := range m {
			m[i] = float32((i+salt)%1013) - float32(from)*0.5
		}
		return m
	}

	ts := newGroup(t, 2, 10*time.Second, false)
	bufs := allocAll(t, ts, n)
	var got [2][][]float32 // by receiver, then by piece; by reference
	for pass, byRef := range []bool{true, false} {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		results := [2][][]float32{}
		for r := range 2 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for i, pc := range pieces {
					data := msg(r, pc.hi-pc.lo, i)
					if byRef {
						copy(bufs[r][pc.lo:pc.hi], data)
						data = bufs[r][pc.lo:pc.hi]
					}
					if err := ts[r].Send(1-r, uint64(i), data); err != nil {
						errs <- err
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				for i, pc := range pieces {
					dst := make([]float32, pc.hi-pc.lo)
					var err error
					if i%2 == 1 {
						for j := range dst {
							dst[j] = 2
						}
						err = ts[r].RecvAdd(1-r, uint64(i), dst)
					} else {
						err = ts[r].Recv(1-r, uint64(i), dst)
					}
					if err != nil {
						errs <- err
						return
					}
					results[r] = append(results[r], dst)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if pass == 0 {
			got = results
			for r := range 2 {
				if refs := ts[r].byRef.Load(); refs != uint64(len(pieces)) {
					t.Errorf("rank %d sent %d messages by reference, want %d", r, refs,
						len(pieces))
				}
			}
			continue
		}

		// The copies went through the ring, and agree bit for bit.
		for r := range 2 {
			if refs := ts[r].byRef.Load(); refs != uint64(len(pieces)) {
				t.Errorf("rank %d: copies from ordinary memory went by reference", r)
			}
			for i := range pieces {
				for j, v := range results[r][i] {
					if got[r][i][j] != v {
						t.Fatalf("rank %d, piece %d: [%d] by reference %v, by copy %v", r, i, j,
							got[r][i][j], v)
					}
				}
			}
		}
	}

	// The values are right, not merely the same both ways.
	for r := range 2 {
		for i, pc := range pieces {
			for j, v := range msg(1-r, pc.hi-pc.lo, i) {
				if i%2 == 1 {
					v += 2
				}
				if got[r][i][j] != v {
					t.Fatalf("rank %d, piece %d: [%d] = %v, want %v", r, i, j, got[r][i][j], v)
				}
			}
		}
	}
	total := uint64(0)
	for _, pc := range pieces {
		total += 4 * uint64(pc.hi-pc.lo)
	}
	if s := ts[0].Stats(); s.BytesSent != 2*total || s.BytesReceived != 2*total ||
		s.MessagesSent != uint64(2*len(pieces)) || s.MessagesReceived != uint64(2*len(pieces)) {
		t.Errorf("stats %+v, want %d bytes and %d messages each way", s, 2*total,
			2*len(pieces))
	}
}

// TestSendByReferenceWaitsForReceiver overwrites the buffer as soon as
// each Send returns, while the receiver is slow to take the messages: it
// must still get the values as they were sent, so Send may not return
// before the receiver has used them.
func TestSendByReferenceWaitsForReceiver(t *testing.T) {
	if !shmSupported {
		t.Skip("no shared memory on this platform")
	}
	const n, msgs = 100_000, 5
	ts := newGroup(t, 2, 10*time.Second, false)
	buf := allocAll(t, ts, n)[0]

	errc := make(chan error, 1)
	go func() {
		for i := range msgs {
			for j := range buf {
				buf[j] = float32(i*n + j)
			}
			if err := ts[0].Send(1, uint64(i), buf); err != nil {
				errc <- err
				return
			}
			for j := range buf {
				buf[j] = -1
			}
		}
		errc <- nil
	}()
	for i := range msgs {
		time.Sleep(20 * time.Millisecond) // the sender is far ahead, if it may be
		dst := make([]float32, n)
		if err := ts[1].Recv(0, uint64(i), dst); err != nil {
			t.Fatal(err)
		}
		for j, v := range dst {
			if v != float32(i*n+j) {
				t.Fatalf("message %d: [%d] = %v, want %v: the sender changed its buffer "+
					"before the receiver took it", i, j, v, float32(i*n+j))
			}
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if refs := ts[0].byRef.Load(); refs != msgs {
		t.Errorf("%d messages by reference, want %d", refs, msgs)
	}
}

// TestSendByReferenceFails has a sender wait for a receiver that never
// takes the message: it wakes when the receiver closes, naming it, and
// when it is stuck, after the I/O timeout, naming it too.
func TestSendByReferenceFails(t *testing.T) {
	if !shmSupported {
		t.Skip("no shared memory on this platform")
	}
	t.Run("peer closes", func(t *testing.T) {
		ts := newGroup(t, 2, 10*time.Second, false)
		buf := allocAll(t, ts, 1000)[0]
		time.AfterFunc(100*time.Millisecond, func() { ts[1].Close() })
		start := time.Now()
		err := ts[0].Send(1, 1, buf)
		if !errors.Is(err, exchange.ErrPeerClosed) {
			t.Fatalf("%v, want ErrPeerClosed", err)
		}
		mustName(t, err, 1, ts[0].addrs[1])
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the send noticed the close after %v", d)
		}
	})
	t.Run("peer stuck", func(t *testing.T) {
		ts := newGroup(t, 2, 300*time.Millisecond, false)
		buf := allocAll(t, ts, 1000)[0]
		err := ts[0].Send(1, 1, buf)
		if !errors.Is(err, exchange.ErrTimeout) {
			t.Fatalf("%v, want ErrTimeout", err)
		}
		mustName(t, err, 1, ts[0].addrs[1])
	})
}

// TestBadReferencesFail writes reference records that a correct peer
// never writes: to a buffer the receiver does not hold, past the end of
// one, at an offset inside a value. Each is a protocol error naming the
// sender, never a panic.
func TestBadReferencesFail(t *testing.T) {
	if !shmSupported {
		t.Skip("no shared memory on this platform")
	}
	for _, tc := range []struct {
		name string
		id   func(real uint32) uint32
		off  uint64
		len  int
		want string
	}{
		{"unknown buffer", func(real uint32) uint32 { return real + 7 }, 0, 40, "did not announce"},
		{"past the end", func(real uint32) uint32 { return real }, 8, 400, "which has 400"},
		{"far past the end", func(real uint32) uint32 { return real }, 1 << 62, 4, "which has"},
		{"inside a value", func(real uint32) uint32 { return real }, 2, 40, "at byte 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newGroup(t, 2, 5*time.Second, false)
			allocAll(t, ts, 100)
			g := (*ts[1].owned.Load())[0]
			p := ts[1].peers[0]
			p.smu.Lock()
			p.rings.out.putRef(5, tc.len, tc.id(g.id), tc.off)
			p.smu.Unlock()

			err := ts[0].Recv(1, 5, make([]float32, tc.len/4))
			if !errors.Is(err, exchange.ErrProtocol) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v, want a protocol error saying %q", err, tc.want)
			}
			mustName(t, err, 1, ts[0].addrs[1])
		})
	}

	t.Run("malformed record", func(t *testing.T) {
		const size = MinRingBytes
		mem := make([]byte, ringHeaderBytes+size)
		producer, consumer := newRing(mem, size), newRing(mem, size)
		producer.putRef(5, 40, 1, 0)
		rec, err := consumer.next()
		if err != nil || !rec.ref || rec.region != 1 || rec.offset != 0 || rec.msgLen != 40 {
			t.Fatalf("intact reference: %+v, %v", rec, err)
		}
		mem[ringHeaderBytes+12] = 20 // a reference of 20 bytes
		if _, err := consumer.next(); !errors.Is(err, exchange.ErrProtocol) {
			t.Fatalf("%v, want ErrProtocol", err)
		}
		mem[ringHeaderBytes+12] = refBytes
		mem[ringHeaderBytes+20] = 1 // the reserved word
		if _, err := consumer.next(); !errors.Is(err, exchange.ErrProtocol) {
			t.Fatalf("%v, want ErrProtocol", err)
		}
	})

	t.Run("malformed frames", func(t *testing.T) {
		good := bufferOffer{id: 3, size: 400, path: "/dev/shm/x"}.encode()
		if o, err := parseBufferOffer(good); err != nil || o.id != 3 || o.size != 400 ||
			o.path != "/dev/shm/x" {
			t.Fatalf("offer round trip: %+v, %v", o, err)
		}
		odd := bufferOffer{id: 3, size: 402, path: "/x"}.encode()
		for name, b := range map[string][]byte{"short": good[:28], "odd size": odd} {
			if _, err := parseBufferOffer(b); !errors.Is(err, exchange.ErrProtocol) {
				t.Errorf("%s shm-buffer: %v, want ErrProtocol", name, err)
			}
		}
		if a, err := parseBufferAnswer(bufferAnswer{id: 9, mapped: true}.encode()); err != nil ||
			a.id != 9 || !a.mapped {
			t.Fatalf("answer round trip: %+v, %v", a, err)
		}
		for _, b := range [][]byte{{1, 0, 0, 0}, {1, 0, 0, 0, 2}} {
			if _, err := parseBufferAnswer(b); !errors.Is(err, exchange.ErrProtocol) {
				t.Errorf("shm-mapped % x: %v, want ErrProtocol", b, err)
			}
		}
	})
}

// TestBufferFilesUnlinked checks that no buffer file is left once Alloc
// returns (the buffers live on as mappings of deleted files, the owner's
// and each peer's), that Free unmaps the owner's and Close the peers'.
func TestBufferFilesUnlinked(t *testing.T) {
	if !shmSupported {
		t.Skip("no shared memory on this platform")
	}
	dir, ts := groupInDir(t, groupConfigs(t, 3, 10*time.Second))
	var bufs [][]float32
	for range 2 {
		bufs = append(bufs, allocAll(t, ts, 5000)...)
	}
	if left, err := os.ReadDir(dir); err != nil || len(left) != 0 {
		t.Fatalf("after Alloc %s holds %v (%v), want nothing", dir, left, err)
	}
	buffers := func() []string {
		var out []string
		for _, m := range mappingsOf(t, dir) {
			if strings.Contains(m, "mariana-buffer-") {
				out = append(out, m)
			}
		}
		return out
	}
	maps := buffers()
	if len(maps) != 18 { // 6 buffers, each mapped by its owner and 2 peers
		t.Errorf("%d mappings of buffer files, want 18:\n%s", len(maps), strings.Join(maps, "\n"))
	}
	for _, m := range maps {
		if !strings.HasSuffix(m, "(deleted)") {
			t.Errorf("mapping of a file that is not deleted: %s", m)
		}
	}

	for i, buf := range bufs {
		if err := ts[i%3].Free(buf); err != nil {
			t.Fatal(err)
		}
	}
	if maps := buffers(); len(maps) != 12 {
		t.Errorf("after Free, %d mappings, want the peers' 12:\n%s", len(maps),
			strings.Join(maps, "\n"))
	}
	for _, tr := range ts {
		tr.Close()
	}
	if maps := mappingsOf(t, dir); len(maps) != 0 {
		t.Errorf("after Close, still mapped:\n%s", strings.Join(maps, "\n"))
	}
}

// TestAllocWithoutPeersOnHost gives ordinary memory where no peer reads
// shared memory: a send from it is a copy, and Free leaves it alone.
func TestAllocWithoutPeersOnHost(t *testing.T) {
	dir, ts := groupInDir(t, withShm(groupConfigs(t, 2, 10*time.Second), true))
	buf, err := ts[0].Alloc(1000)
	if err != nil || len(buf) != 1000 {
		t.Fatalf("Alloc: %d values, %v", len(buf), err)
	}
	if _, _, ok := ts[0].ownedRegion(buf, 1); ok {
		t.Fatal("a buffer in shared memory for a peer that reads TCP")
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%s holds %v", dir, left)
	}
	if _, err := ts[0].Alloc(-1); !errors.Is(err, exchange.ErrConfig) {
		t.Errorf("Alloc(-1): %v, want ErrConfig", err)
	}
	if err := ts[0].Free(buf); err != nil {
		t.Fatal(err)
	}
}

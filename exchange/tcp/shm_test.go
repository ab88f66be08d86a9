package tcp

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

// exchangeBothWays has members 0 and 1 of ts send each other one message
// of each size, in order, while the other receives them, alternately
// with Recv and RecvAdd onto ones. It fails t on a wrong value.
func exchangeBothWays(t *testing.T, ts []*Transport, sizes []int) {
	t.Helper()
	msg := func(from, size int) []float32 {
		m := make([]float32, size)
		for i := range m {
			m[i] = float32(i%1009) - float32(from)*0.25
		}
		return m
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := range 2 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i, size := range sizes {
				if err := ts[r].Send(1-r, uint64(i), msg(r, size)); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i, size := range sizes {
				got, add := make([]float32, size), i%2 == 1
				for j := range got {
					got[j] = 1
				}
				var err error
				if add {
					err = ts[r].RecvAdd(1-r, uint64(i), got)
				} else {
					err = ts[r].Recv(1-r, uint64(i), got)
				}
				if err != nil {
					errs <- err
					return
				}
				for j, v := range msg(1-r, size) {
					if add {
						v++
					}
					if got[j] != v {
						t.Errorf("rank %d, message %d of %d values: [%d] = %v, want %v",
							r, i, size, j, got[j], v)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestSharedMemoryCarriesData sends messages from empty to 18 times the
// ring's size both ways at once, and checks that they went through the
// rings, not the connection, and are counted as over TCP.
func TestSharedMemoryCarriesData(t *testing.T) {
	if !shmSupported {
		t.Skip("no shared memory on this platform")
	}
	sizes := []int{0, 1, 7, 1000, 16381, 16384, 100_000, 300_001, 3}
	total := 0
	for _, n := range sizes {
		total += 4 * n
	}

	stats := map[bool]exchange.Stats{}
	paths(t, func(t *testing.T, noShm bool) {
		cfgs := withShm(groupConfigs(t, 2, 10*time.Second), noShm)
		for r := range cfgs {
			cfgs[r].RingBytes = MinRingBytes
		}
		ts := connectGroup(t, cfgs)
		exchangeBothWays(t, ts, sizes)
		s := ts[0].Stats()
		if s.BytesSent != uint64(total) || s.BytesReceived != uint64(total) ||
			s.MessagesSent != uint64(len(sizes)) || s.MessagesReceived != uint64(len(sizes)) {
			t.Errorf("stats %+v, want %d bytes and %d messages each way", s, total, len(sizes))
		}
		stats[noShm] = s
		if noShm {
			return
		}

		// Every byte went through the rings: the producer's and the
		// consumer's counters agree and cover the payload and one record
		// header per chunk at least.
		for r := range 2 {
			out, in := ts[r].peers[1-r].rings.out, ts[1-r].peers[r].rings.in
			if out.pos != in.pos || out.head.Load() != out.pos || in.tail.Load() != in.pos {
				t.Errorf("rank %d to %d: producer at %d (head %d), consumer at %d (tail %d)",
					r, 1-r, out.pos, out.head.Load(), in.pos, in.tail.Load())
			}
			if least := uint64(total + recordHeader*len(sizes)); out.pos < least {
				t.Errorf("rank %d to %d: %d bytes through the ring, want at least %d",
					r, 1-r, out.pos, least)
			}
		}
	})
	if a, b := stats[false], stats[true]; a.BytesSent != b.BytesSent ||
		a.MessagesReceived != b.MessagesReceived {
		t.Errorf("shared memory counts %+v, TCP %+v", a, b)
	}
}

// mappingsOf returns the lines of /proc/self/maps that map a file in dir.
func mappingsOf(t *testing.T, dir string) []string {
	t.Helper()
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Skipf("cannot list mappings: %v", err)
	}
	var lines []string
	for _, line := range strings.Split(string(maps), "\n") {
		if strings.Contains(line, dir+string(filepath.Separator)) {
			lines = append(lines, line)
		}
	}
	return lines
}

// TestRingFilesUnlinked checks that no ring file is left once the group
// is set up (the rings live on as mappings of deleted files) and that
// Close unmaps them.
func TestRingFilesUnlinked(t *testing.T) {
	if !shmSupported {
		t.Skip("no shared memory on this platform")
	}
	dir, ts := groupInDir(t, groupConfigs(t, 3, 10*time.Second))
	exchangeBothWays(t, ts, []int{10, 100_000})

	if left, err := os.ReadDir(dir); err != nil || len(left) != 0 {
		t.Fatalf("after setup %s holds %v (%v), want nothing", dir, left, err)
	}
	maps := mappingsOf(t, dir)
	if len(maps) != 12 { // 6 rings, each mapped by both members
		t.Errorf("%d mappings of ring files, want 12:\n%s", len(maps), strings.Join(maps, "\n"))
	}
	for _, m := range maps {
		if !strings.HasSuffix(m, "(deleted)") {
			t.Errorf("mapping of a file that is not deleted: %s", m)
		}
	}

	for _, tr := range ts {
		tr.Close()
	}
	if maps := mappingsOf(t, dir); len(maps) != 0 {
		t.Errorf("after Close, still mapped:\n%s", strings.Join(maps, "\n"))
	}
}

// TestSharedMemoryFallsBack gives members setups in which shared memory
// is impossible or unwanted: each direction that cannot use it uses TCP,
// without an error, and the data arrives.
func TestSharedMemoryFallsBack(t *testing.T) {
	if !shmSupported {
		t.Skip("no shared memory on this platform")
	}
	t.Run("no ring file", func(t *testing.T) {
		// Rank 0 cannot make its ring: rank 1 sends to it over TCP, but
		// rank 0 still sends through rank 1's ring.
		cfgs := groupConfigs(t, 2, 10*time.Second)
		cfgs[0].SharedMemoryDir = filepath.Join(t.TempDir(), "missing")
		ts, errs := connectAll(cfgs)
		for r, err := range errs {
			if err != nil {
				t.Fatalf("rank %d: %v", r, err)
			}
			defer ts[r].Close()
		}
		if send, recv := ts[0].SharedMemory(1); !send || recv {
			t.Errorf("rank 0: shared memory to 1 %v, from 1 %v; want true, false", send, recv)
		}
		if send, recv := ts[1].SharedMemory(0); send || !recv {
			t.Errorf("rank 1: shared memory to 0 %v, from 0 %v; want false, true", send, recv)
		}
		exchangeBothWays(t, ts, []int{5, 300_001})
	})
	t.Run("one member off", func(t *testing.T) {
		cfgs := groupConfigs(t, 2, 10*time.Second)
		cfgs[1].NoSharedMemory = true
		exchangeBothWays(t, connectGroup(t, cfgs), []int{5, 300_001})
	})
}

// TestSetupRejectsBadOffers checks how a member answers offers it must
// not take: another host's ring (same path, other nonce) is declined,
// and malformed ones fail the handshake with ErrProtocol.
func TestSetupRejectsBadOffers(t *testing.T) {
	if !shmSupported {
		t.Skip("no shared memory on this platform")
	}
	dir := t.TempDir()
	real, err := createRing(dir, MinRingBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer real.unmap()
	defer real.unlink()

	forged := offer{size: real.size, nonce: real.nonce, path: real.path}
	forged.nonce[0] ^= 1
	if r, err := openRing(forged.path, forged.size, forged.nonce); err == nil {
		r.unmap()
		t.Fatal("mapped a ring whose nonce differs from the offer's")
	} else if !strings.Contains(err.Error(), "nonce") {
		t.Errorf("%v, want the nonce named", err)
	}
	if r, err := openRing(real.path, 2*real.size, real.nonce); err == nil {
		r.unmap()
		t.Fatal("mapped a ring of another size than its file")
	}

	good := offer{size: real.size, nonce: real.nonce, path: real.path}.encode()
	if o, err := parseOffer(good); err != nil || o.path != real.path || o.nonce != real.nonce {
		t.Fatalf("offer round trip: %+v, %v", o, err)
	}
	if o, err := parseOffer(nil); err != nil || o.path != "" {
		t.Fatalf("empty offer: %+v, %v", o, err)
	}
	badSize := append([]byte(nil), good...)
	binary.LittleEndian.PutUint64(badSize, 3<<20)
	for name, b := range map[string][]byte{"short": good[:20], "odd size": badSize} {
		if _, err := parseOffer(b); !errors.Is(err, exchange.ErrProtocol) {
			t.Errorf("%s offer: %v, want ErrProtocol", name, err)
		}
	}
}

// TestRingRejectsCorruptRecords damages published records: the consumer
// reports a protocol error instead of reading past what was published.
func TestRingRejectsCorruptRecords(t *testing.T) {
	const size = MinRingBytes
	// The first record fills the last 64 bytes of the area, the second
	// starts at its beginning; the consumer is at the first.
	const first = size - recordAlign
	for _, tc := range []struct {
		name   string
		damage func(r *ring)
	}{
		{"chunk past the head", func(r *ring) {
			binary.LittleEndian.PutUint32(r.data[first+12:], 8192)
		}},
		{"chunk past the end", func(r *ring) {
			binary.LittleEndian.PutUint32(r.data[first+12:], 1000)
		}},
		{"partial value", func(r *ring) {
			binary.LittleEndian.PutUint32(r.data[first+12:], 6)
		}},
		{"head beyond the ring", func(r *ring) { r.head.Store(first + 2*size) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := make([]byte, ringHeaderBytes+size)
			producer, consumer := newRing(mem, size), newRing(mem, size)
			producer.pos, consumer.pos = first, first
			producer.tail.Store(first)
			producer.put(7, 40+2000, make([]byte, 40))
			producer.put(7, 40+2000, make([]byte, 2000))
			if rec, err := consumer.next(); err != nil || rec.tag != 7 || len(rec.payload) != 40 {
				t.Fatalf("intact record: %+v, %v", rec, err)
			}
			tc.damage(producer)
			if _, err := consumer.next(); !errors.Is(err, exchange.ErrProtocol) {
				t.Fatalf("%v, want ErrProtocol", err)
			}
		})
	}
}

// TestDataFrameOnRingDirection has a peer that agreed to send through
// shared memory send a data frame over the connection: a protocol error.
func TestDataFrameOnRingDirection(t *testing.T) {
	if !shmSupported {
		t.Skip("no shared memory on this platform")
	}
	ts := newGroup(t, 2, 5*time.Second, false)
	p := ts[1].peers[0]
	p.wmu.Lock()
	_, err := p.conn.Write(dataFrame(1, 3, []float32{1, 2}))
	p.wmu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	err = ts[0].Recv(1, 3, make([]float32, 2))
	if !errors.Is(err, exchange.ErrProtocol) || !strings.Contains(err.Error(), "shared memory") {
		t.Fatalf("%v, want a protocol error about the data frame", err)
	}
	mustName(t, err, 1, ts[0].addrs[1])
}

// groupInDir connects the members of cfgs with their shared-memory files
// in a fresh folder, which it returns.
func groupInDir(t *testing.T, cfgs []Config) (string, []*Transport) {
	t.Helper()
	dir := t.TempDir()
	for r := range cfgs {
		cfgs[r].SharedMemoryDir = dir
	}
	return dir, connectGroup(t, cfgs)
}

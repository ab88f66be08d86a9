package tcp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/exchange/internal/vec"
	"github.com/mariana-dl/mariana/exchange/internal/waits"
)

const (
	// inboxFrames is how many received frames wait per peer before the
	// reader stops reading and TCP flow control slows the sender.
	inboxFrames = 4

	// readBufferBytes buffers small frames so that a header and a short
	// payload cost one system call.
	readBufferBytes = 64 << 10

	// controlTimeout bounds writing a goodbye or abort frame, which is
	// best effort.
	controlTimeout = time.Second
)

// Transport is one member's end of a TCP group. It implements
// exchange.Transport.
type Transport struct {
	rank       int
	addrs      []string
	ioTimeout  time.Duration
	frameBytes int
	peers      []*peer // nil at this member's rank
	counters   exchange.Counters

	done    chan struct{} // closed when err is set
	mu      sync.Mutex
	err     error // the first failure, or ErrClosed
	readers sync.WaitGroup
	told    chan struct{} // closed once the peers were told of err

	// diagnosing serialises the search for the culprit of a timeout.
	diagnosing sync.Mutex

	// The buffers of Alloc (Note [Buffers by reference]): allocMu
	// serialises Alloc and Free, which replace the list that owned points
	// to; senders read it without a lock. byRef counts the messages sent
	// by reference.
	shmDir     string
	allocMu    sync.Mutex
	lastRegion uint32
	owned      atomic.Pointer[[]*region]
	byRef      atomic.Uint64
}

// peer is the connection to one other member.
type peer struct {
	t    *Transport
	rank int
	addr string
	conn net.Conn

	// rings are the shared-memory rings to and from this peer, in use
	// where shmOut and shmIn say; those two never change. Sends on the
	// ring hold smu, which leaves wmu to control frames and probes, and
	// receives from it hold rmu. Close unmaps the rings under the locks.
	rings         rings
	shmOut, shmIn bool
	smu           sync.Mutex

	// Writing, under wmu.
	wmu     sync.Mutex
	whdr    [headerLen]byte
	wvec    [2][]byte
	wbufs   net.Buffers
	encoded []byte // frame payload on big-endian machines

	// Reading: one reader goroutine fills inbox; receives take from it
	// under rmu and give the frames back through free.
	br    *bufio.Reader
	inbox chan *frame
	free  chan *frame
	rmu   sync.Mutex
	timer *time.Timer
	err   error         // why inbox was closed; set before closing it
	gone  chan struct{} // closed with inbox, for receives from a ring
	left  atomic.Bool

	// regions are the buffers this peer announced and this member mapped,
	// by id, under regMu; bufferAnswers carries the peer's answers to
	// this member's announcements to Alloc.
	regMu         sync.Mutex
	regions       map[uint32]*region
	bufferAnswers chan bufferAnswer

	// recvSince and sendSince are when a receive from or a send to this
	// peer started waiting, in Unix nanoseconds, or 0; probes answer
	// with them. probeReply carries the answers to this member's probes.
	recvSince, sendSince atomic.Int64
	probeReply           chan []waits.Wait
}

// frame is a received data frame. Its payload lives in store.
type frame struct {
	h       header
	store   []float32
	payload []byte
}

func newTransport(cfg Config) *Transport {
	dir := cfg.SharedMemoryDir
	if dir == "" {
		dir = defaultShmDir()
	}
	return &Transport{
		shmDir:     dir,
		rank:       cfg.Rank,
		addrs:      cfg.Addrs,
		ioTimeout:  cfg.IOTimeout,
		frameBytes: cfg.FrameBytes,
		peers:      make([]*peer, len(cfg.Addrs)),
		done:       make(chan struct{}),
		told:       make(chan struct{}),
	}
}

// addPeer registers an established connection and the rings set up on
// it; start runs the readers.
func (t *Transport) addPeer(rank int, conn net.Conn, br *bufio.Reader, rs rings) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	t.peers[rank] = &peer{
		t:      t,
		rank:   rank,
		addr:   t.addrs[rank],
		conn:   conn,
		rings:  rs,
		shmOut: rs.out != nil,
		shmIn:  rs.in != nil,
		br:     br,
		inbox:  make(chan *frame, inboxFrames),
		free:   make(chan *frame, inboxFrames+2),
		gone:   make(chan struct{}),
		timer:  timer,

		probeReply:    make(chan []waits.Wait, 1),
		regions:       map[uint32]*region{},
		bufferAnswers: make(chan bufferAnswer, 1),
	}
}

func (t *Transport) start() {
	for _, p := range t.peers {
		if p != nil {
			t.readers.Add(1)
			go p.read()
		}
	}
}

// Rank is this member's rank.
func (t *Transport) Rank() int { return t.rank }

// Size is the number of members.
func (t *Transport) Size() int { return len(t.addrs) }

// Stats returns this member's counters.
func (t *Transport) Stats() exchange.Stats { return t.counters.Stats() }

// Send sends data to member to, through shared memory or in frames of
// at most FrameBytes. It returns once the data is in the ring or written
// to the connection, or, when data lies in a buffer from Alloc that the
// peer mapped, once the peer has taken the values from there.
func (t *Transport) Send(to int, tag uint64, data []float32) error {
	p, err := t.peer(to, "send")
	if err != nil {
		return err
	}
	start := time.Now()
	if p.shmOut {
		p.smu.Lock()
		err = p.sendShm(tag, data)
		p.smu.Unlock()
	} else {
		p.wmu.Lock()
		err = p.send(tag, data)
		p.wmu.Unlock()
	}
	if err == errWriteTimeout {
		// Looked into with the lock released: the search probes p too.
		err = t.stuck(p, "send", "data not taken")
	}
	if err != nil {
		return t.fail(err)
	}
	t.counters.AddSend(4*len(data), time.Since(start))
	return nil
}

// errWriteTimeout is a write that timed out; Send turns it into the error
// naming the member that holds the group up.
var errWriteTimeout = errors.New("exchange: write timed out")

// Recv receives the next message from member from into dst.
func (t *Transport) Recv(from int, tag uint64, dst []float32) error {
	return t.recv(from, tag, dst, false)
}

// RecvAdd adds the next message from member from to dst.
func (t *Transport) RecvAdd(from int, tag uint64, dst []float32) error {
	return t.recv(from, tag, dst, true)
}

func (t *Transport) recv(from int, tag uint64, dst []float32, add bool) error {
	p, err := t.peer(from, "recv")
	if err != nil {
		return err
	}
	start := time.Now()
	p.rmu.Lock()
	if p.shmIn {
		err = p.recvShm(tag, dst, add)
	} else {
		err = p.recv(tag, dst, add)
	}
	p.rmu.Unlock()
	if err != nil {
		return t.fail(err)
	}
	t.counters.AddRecv(4*len(dst), time.Since(start))
	return nil
}

// peer returns the peer of rank r, or the group's error.
func (t *Transport) peer(r int, op string) (*peer, error) {
	if t.failed() != nil {
		return nil, t.failure()
	}
	if r < 0 || r >= len(t.peers) || t.peers[r] == nil {
		return nil, fmt.Errorf("%w: rank %d %s with rank %d in a group of %d",
			exchange.ErrConfig, t.rank, op, r, len(t.addrs))
	}
	return t.peers[r], nil
}

// failed returns the group's error, or nil while it works.
func (t *Transport) failed() error {
	select {
	case <-t.done:
		return t.err
	default:
		return nil
	}
}

// failure returns the group's error once every peer was told of it: an
// operation that returns it may be the process's last, and an exit before
// the abort frames leave loses them (Note [Abort before the end]). Only
// operations call it; a reader goroutine that waited here would hold up
// the fail it is part of.
func (t *Transport) failure() error {
	<-t.told
	return t.err
}

// Close says goodbye to every peer and closes the connections. Operations
// blocked here return ErrClosed; peers waiting on this member fail with
// ErrPeerClosed.
func (t *Transport) Close() error {
	if t.setErr(exchange.ErrClosed) {
		for _, p := range t.peers {
			if p != nil && !p.left.Load() {
				p.control(kindBye, nil)
			}
		}
		close(t.told)
	}
	<-t.told
	for _, p := range t.peers {
		if p != nil {
			p.conn.Close()
		}
	}
	t.readers.Wait()
	for _, p := range t.peers {
		if p != nil {
			p.releaseRings()
			p.releaseRegions()
		}
	}
	return nil
}

// fail records err as the group's failure, unless there is one already,
// and returns the failure that stands, once every peer that has not left
// was told of it, so that they stop too, naming the culprit: a caller that
// exits the process on the error loses no abort frame.
func (t *Transport) fail(err error) error {
	if !t.setErr(err) {
		<-t.told
		return t.err
	}
	a := abortOf(t.rank, err)
	payload := a.encode()
	var wg sync.WaitGroup
	for _, p := range t.peers {
		if p != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.abort(payload, p.rank != int(a.culprit))
			}()
		}
	}
	wg.Wait()
	close(t.told)
	return err
}

// abort sends p the abort frame with payload, unless p has left, and ends
// this member's half of the connection; with drain it waits for p to end
// its half too, which the culprit of a failure, dead or stuck, never does.
//
// Note [Abort before the end]. A survivor of a failure must learn who
// failed from the first member to notice, so the abort frame must reach it
// before the end of the stream. Closing a socket that still holds unread
// data sends a reset instead of an end, and the receiving kernel may drop
// what the reset overtakes, abort frame included; the survivor then blames
// the member that told it. So the abort waits for a send that holds the
// connection (at most controlTimeout: a send to a live peer finishes within
// that, and one to a dead or stuck peer matters to no one), and only the
// writing half is shut, which sends a plain end after the frame. The reader
// goroutine goes on reading until the peer closes its end, and fail waits
// for that (at most controlTimeout), since a socket closed with data unread
// sends a reset as well, and the process may exit once fail returns. The
// connection closes fully in Close.
func (p *peer) abort(payload []byte, drain bool) {
	if !p.left.Load() {
		deadline := time.Now().Add(controlTimeout)
		if p.lockBefore(deadline) {
			p.conn.SetWriteDeadline(deadline)
			p.conn.Write(appendControl(nil, kindAbort, p.t.rank, payload))
			p.wmu.Unlock()
		}
	}
	if c, ok := p.conn.(interface{ CloseWrite() error }); ok {
		c.CloseWrite()
		if !drain {
			return
		}

		// Closing a socket with unread data sends a reset too, and this
		// process may exit as soon as fail returns: wait, while the reader
		// goroutine empties the connection, until p has read the frame,
		// stopped and closed its end, or the bound is up.
		select {
		case <-p.gone:
		case <-time.After(controlTimeout):
		}
		return
	}
	p.conn.Close()
}

// setErr sets the group's error if none is set and reports whether it did.
func (t *Transport) setErr(err error) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return false
	}
	t.err = err
	close(t.done)
	for _, p := range t.peers {
		if p != nil {
			p.wakeRings()
		}
	}
	return true
}

// abortOf describes a failure for the peers.
func abortOf(rank int, err error) abort {
	a := abort{culprit: int32(rank), code: codeOf(err), op: "abort", text: err.Error()}
	var pe *exchange.PeerError
	if errors.As(err, &pe) {
		a.culprit, a.op = int32(pe.Rank), pe.Op
		a.text = strings.TrimPrefix(pe.Err.Error(), "exchange: ")
		var re *exchange.RemoteError
		if errors.As(pe.Err, &re) {
			a.text = re.Text
		}
	}
	return a
}

// control writes a control frame if no send holds the connection; it is
// best effort, for a connection about to be closed.
func (p *peer) control(k kind, payload []byte) {
	if !p.wmu.TryLock() {
		return
	}
	defer p.wmu.Unlock()
	p.conn.SetWriteDeadline(time.Now().Add(controlTimeout))
	p.conn.Write(appendControl(nil, k, p.t.rank, payload))
}

// send writes one message as data frames.
func (p *peer) send(tag uint64, data []float32) error {
	if p.left.Load() {
		return p.errorf("send", exchange.ErrPeerClosed)
	}
	total := 4 * len(data)
	if err := checkMessageLen(total); err != nil {
		return err
	}

	var wire []byte
	if vec.LittleEndian {
		wire = vec.Bytes(data)
	}
	h := header{kind: kindData, sender: uint32(p.t.rank), tag: tag, msgLen: uint32(total)}
	for off := 0; ; {
		n := min(p.t.frameBytes, total-off)
		var payload []byte
		if vec.LittleEndian {
			payload = wire[off : off+n]
		} else {
			if cap(p.encoded) < n {
				p.encoded = make([]byte, p.t.frameBytes)
			}
			payload = p.encoded[:n]
			vec.Encode(payload, data[off/4:(off+n)/4])
		}
		h.length = uint32(n)
		h.put(&p.whdr, payload)
		if err := p.write(payload); err != nil {
			return err
		}
		off += n
		if off == total {
			return nil
		}
	}
}

// checkMessageLen refuses a message of total bytes that the wire format
// cannot carry.
func checkMessageLen(total int) error {
	if uint64(total) > math.MaxUint32 {
		return fmt.Errorf("%w: message of %d bytes exceeds the 4 GiB limit",
			exchange.ErrConfig, total)
	}
	return nil
}

// write writes the frame in whdr and payload with one system call.
func (p *peer) write(payload []byte) error {
	d := p.t.ioTimeout
	now := time.Now()
	p.conn.SetWriteDeadline(now.Add(d))
	p.wvec[0], p.wvec[1] = p.whdr[:], payload
	p.wbufs = p.wvec[:]
	p.sendSince.Store(now.UnixNano())
	_, err := p.wbufs.WriteTo(p.conn)
	p.sendSince.Store(0)
	if err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return errWriteTimeout
		}
		return p.errorf("send", fmt.Errorf("%w: %v", exchange.ErrPeerLost, err))
	}
	return nil
}

// recv takes the frames of one message from the inbox.
func (p *peer) recv(tag uint64, dst []float32, add bool) error {
	want := 4 * len(dst)
	for off := 0; ; {
		f, err := p.next()
		if err != nil {
			return err
		}
		h := f.h
		if h.tag != tag || int(h.msgLen) != want || off+int(h.length) > want {
			p.recycle(f)
			return p.errorf("recv", mismatch(h.tag, int(h.msgLen), tag, want))
		}

		n := int(h.length)
		seg := dst[off/4 : (off+n)/4]
		switch {
		case vec.LittleEndian && add:
			vec.Add(seg, f.store)
		case vec.LittleEndian:
			copy(seg, f.store)
		case add:
			vec.AddEncoded(seg, f.payload)
		default:
			vec.Decode(seg, f.payload)
		}
		p.recycle(f)
		off += n
		if off == want {
			return nil
		}
	}
}

// mismatch is the error for a message of gotTag and got bytes where one
// of tag and want bytes was due.
func mismatch(gotTag uint64, got int, tag uint64, want int) error {
	return fmt.Errorf("%w: message of tag %#x with %d bytes, want tag %#x with %d "+
		"(the members called different operations or buffer sizes)",
		exchange.ErrProtocol, gotTag, got, tag, want)
}

// next waits up to the I/O timeout for the next data frame.
func (p *peer) next() (*frame, error) {
	select {
	case f, ok := <-p.inbox:
		return p.got(f, ok)
	default:
	}

	t := p.t
	p.timer.Reset(t.ioTimeout)
	p.recvSince.Store(time.Now().UnixNano())
	defer func() {
		p.recvSince.Store(0)
		p.timer.Stop()
	}()
	select {
	case f, ok := <-p.inbox:
		return p.got(f, ok)
	case <-t.done:
		return nil, t.err
	case <-p.timer.C:
		return nil, t.stuck(p, "recv", "no message")
	}
}

func (p *peer) got(f *frame, ok bool) (*frame, error) {
	if !ok {
		return nil, p.err
	}
	return f, nil
}

func (p *peer) recycle(f *frame) {
	select {
	case p.free <- f:
	default:
	}
}

// read is the reader goroutine: it reads frames until the connection
// ends, queues data frames, and turns everything else into the peer's
// state or the group's failure.
func (p *peer) read() {
	defer p.t.readers.Done()
	err := p.readFrames()
	p.err = err
	close(p.inbox)
	close(p.gone)
	p.wakeRings()
	if !errors.Is(err, exchange.ErrPeerClosed) {
		p.t.fail(err)
	}
}

// readFrames is the loop of read.
func (p *peer) readFrames() error {
	t := p.t
	var hb [headerLen]byte
	var off int64
	for {
		var f *frame
		select {
		case f = <-p.free:
		default:
			f = new(frame)
		}

		h, payload, err := readFrame(p.br, &hb, &f.store, off)
		if err != nil {
			if t.failed() != nil {
				// This member closed the connection itself.
				return t.failed()
			}
			if errors.Is(err, exchange.ErrProtocol) || errors.Is(err, exchange.ErrChecksum) {
				return p.errorf("read", err)
			}
			if err == io.EOF {
				return p.errorf("read", fmt.Errorf("%w: connection closed without a goodbye",
					exchange.ErrPeerLost))
			}
			return p.errorf("read", fmt.Errorf("%w: %v", exchange.ErrPeerLost, err))
		}
		if int(h.sender) != p.rank {
			return p.errorf("read", fmt.Errorf("%w: frame at byte %d claims to come from rank %d",
				exchange.ErrProtocol, off, h.sender))
		}
		off += headerLen + int64(len(payload))

		switch h.kind {
		case kindData:
			if p.shmIn {
				return p.errorf("read", fmt.Errorf("%w: data frame at byte %d from a peer that "+
					"agreed to send through shared memory", exchange.ErrProtocol, off))
			}
			f.h, f.payload = h, payload
			select {
			case p.inbox <- f:
			case <-t.done:
				// After a failure nothing takes from the inbox, but the
				// reader goes on, so that no unread data turns the end
				// of the connection into a reset (Note [Abort before
				// the end]).
				p.recycle(f)
			}
		case kindBye:
			p.left.Store(true)
			return p.errorf("recv", exchange.ErrPeerClosed)
		case kindAbort:
			a, err := parseAbort(payload)
			if err != nil {
				return p.errorf("read", err)
			}
			return t.remoteError(p.rank, a)
		case kindProbe:
			p.answerProbe()
		case kindShmBuffer:
			if err := p.mapBuffer(payload); err != nil {
				return p.errorf("read", err)
			}
		case kindShmMapped:
			if err := p.gotBufferAnswer(payload); err != nil {
				return p.errorf("read", err)
			}
		case kindWaits:
			ws, err := parseWaits(payload)
			if err != nil {
				return p.errorf("read", err)
			}
			select {
			case p.probeReply <- ws:
			default:
			}
		default:
			return p.errorf("read", fmt.Errorf("%w: unexpected %v frame at byte %d",
				exchange.ErrProtocol, h.kind, off))
		}
	}
}

// remoteError is the failure that reporter told this member about.
func (t *Transport) remoteError(reporter int, a abort) error {
	culprit := int(a.culprit)
	if culprit < 0 || culprit >= len(t.addrs) {
		culprit = reporter
	}
	return &exchange.PeerError{
		Rank: culprit,
		Addr: t.addrs[culprit],
		Op:   a.op,
		Err:  &exchange.RemoteError{Reporter: reporter, Cause: codes[a.code], Text: a.text},
	}
}

// errorf returns a PeerError naming p.
func (p *peer) errorf(op string, err error) error {
	return &exchange.PeerError{Rank: p.rank, Addr: p.addr, Op: op, Err: err}
}

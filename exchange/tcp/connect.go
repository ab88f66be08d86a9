package tcp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

// link is the outcome of connecting to one peer.
type link struct {
	rank  int
	conn  net.Conn
	br    *bufio.Reader
	rings rings
	err   error
}

// Connect joins the group: it connects to every other member (higher
// ranks dial lower ones, retrying until they listen), checks each with a
// handshake, and returns once all are connected, or fails within
// DialTimeout with an error that names the peer that did not answer or
// was refused. Cancelling ctx also stops it.
func Connect(ctx context.Context, cfg Config) (*Transport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		if cfg.Listener != nil {
			cfg.Listener.Close()
		}
		return nil, err
	}
	t := newTransport(cfg)
	n, me := len(cfg.Addrs), cfg.Rank

	// Only members with higher ranks than some other member are dialed.
	ln := cfg.Listener
	if me == n-1 {
		if ln != nil {
			ln.Close()
		}
		ln = nil
	} else if ln == nil {
		ln, err = net.Listen("tcp", cfg.Addrs[me])
		if err != nil {
			return nil, fmt.Errorf("exchange: rank %d: listen on %s: %w", me, cfg.Addrs[me], err)
		}
	}
	if n == 1 {
		return t, nil
	}

	setupCtx, cancel := context.WithTimeout(ctx, cfg.DialTimeout)
	defer cancel()
	results := make(chan link, n)
	var wg sync.WaitGroup
	if ln != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.accept(setupCtx, cfg, ln, results)
		}()
	}
	for j := 0; j < me; j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- t.dial(setupCtx, ctx, cfg, j)
		}()
	}

	// The first failure is the one to report; the others are mostly its
	// consequence (setup is cancelled at once).
	var first error
	for range n - 1 {
		l := <-results
		switch {
		case l.err != nil && first == nil:
			first = l.err
			cancel()
		case l.err == nil:
			t.addPeer(l.rank, l.conn, l.br, l.rings)
		}
	}
	wg.Wait()
	if ln != nil {
		ln.Close()
	}
	if first != nil {
		for _, p := range t.peers {
			if p != nil {
				p.conn.Close()
				p.rings.release()
			}
		}
		return nil, first
	}
	t.start()
	return t, nil
}

// dial connects to lower rank j, retrying while nobody listens there yet.
// setup bounds the whole setup; parent is the caller's context, to tell
// a cancellation from a timeout.
func (t *Transport) dial(setup, parent context.Context, cfg Config, j int) link {
	addr := cfg.Addrs[j]
	var last error
	for backoff := 10 * time.Millisecond; ; backoff = min(2*backoff, 500*time.Millisecond) {
		var d net.Dialer
		conn, err := d.DialContext(setup, "tcp", addr)
		if err == nil {
			l := t.clientHandshake(setup, cfg, conn, j)
			if l.err == nil || errors.Is(l.err, exchange.ErrHandshake) ||
				errors.Is(l.err, exchange.ErrProtocol) {
				return l
			}
			err = l.err
		}
		last = err

		select {
		case <-setup.Done():
			cause := fmt.Errorf("%w: no answer within %v (last attempt: %v)",
				exchange.ErrTimeout, cfg.DialTimeout, last)
			if parent.Err() != nil {
				cause = fmt.Errorf("exchange: %w", parent.Err())
			}
			return link{err: &exchange.PeerError{Rank: j, Addr: addr, Op: "dial", Err: cause}}
		case <-time.After(backoff):
		}
	}
}

// clientHandshake introduces this member to rank j on conn and checks
// that j is who the address list says.
func (t *Transport) clientHandshake(ctx context.Context, cfg Config, conn net.Conn, j int) link {
	fail := func(err error) link {
		conn.Close()
		return link{err: &exchange.PeerError{Rank: j, Addr: cfg.Addrs[j], Op: "handshake",
			Err: err}}
	}
	end := watch(ctx, conn)
	defer end()
	br := bufio.NewReaderSize(conn, readBufferBytes)

	me := hello{size: uint32(len(cfg.Addrs)), target: uint32(j), job: cfg.JobID}
	if _, err := conn.Write(appendControl(nil, kindHello, cfg.Rank, me.encode())); err != nil {
		return fail(err)
	}
	h, payload, err := readControl(br)
	if err != nil {
		return fail(err)
	}
	switch {
	case h.kind == kindRefuse:
		return fail(fmt.Errorf("%w: %s", exchange.ErrHandshake, payload))
	case h.kind != kindHello:
		return fail(fmt.Errorf("%w: %v frame instead of hello", exchange.ErrProtocol, h.kind))
	}
	them, err := parseHello(payload)
	if err != nil {
		return fail(err)
	}
	if reason := check(cfg, int(h.sender), them, j); reason != "" {
		conn.Write(appendControl(nil, kindRefuse, cfg.Rank, []byte(reason)))
		return fail(fmt.Errorf("%w: %s", exchange.ErrHandshake, reason))
	}
	if _, err := conn.Write(appendControl(nil, kindReady, cfg.Rank, nil)); err != nil {
		return fail(err)
	}
	rs, err := setupShm(cfg, conn, br, j)
	if err != nil {
		return fail(err)
	}
	if !end() {
		rs.release()
		return fail(fmt.Errorf("exchange: setup ended: %w", ctx.Err()))
	}
	return link{rank: j, conn: conn, br: br, rings: rs}
}

// accept takes connections from every higher rank until all have joined
// or ctx ends, and sends one link per higher rank to results. A refused
// connection does not end setup (a stray process may knock before the
// right one), but its reason goes into the error of the ranks missing
// at the end.
func (t *Transport) accept(ctx context.Context, cfg Config, ln net.Listener, results chan<- link) {
	n, me := len(cfg.Addrs), cfg.Rank
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()

	var (
		mu       sync.Mutex
		joined   = make([]bool, n)
		missing  = n - 1 - me
		refusals []string
		wg       sync.WaitGroup
	)
	for {
		conn, err := ln.Accept()
		if err != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, reason := t.serverHandshake(ctx, cfg, conn, func(r int) bool {
				mu.Lock()
				defer mu.Unlock()
				if joined[r] {
					return false
				}
				joined[r] = true
				return true
			})
			mu.Lock()
			defer mu.Unlock()
			if reason != "" {
				refusals = append(refusals, reason)
				if l.rank > me {
					joined[l.rank] = false
				}
				return
			}
			results <- l
			if missing--; missing == 0 {
				ln.Close()
			}
		}()
	}
	wg.Wait()

	why := ""
	if len(refusals) > 0 {
		why = fmt.Sprintf("; refused %d connection(s), last: %s", len(refusals),
			refusals[len(refusals)-1])
	}
	for r := me + 1; r < n; r++ {
		if !joined[r] {
			results <- link{err: &exchange.PeerError{Rank: r, Addr: cfg.Addrs[r], Op: "accept",
				Err: fmt.Errorf("%w: rank %d did not connect to %s within %v%s",
					exchange.ErrTimeout, r, cfg.Addrs[me], cfg.DialTimeout, why)}}
		}
	}
}

// serverHandshake checks a dialer. claim marks a rank as joined and
// reports false if it already was. On refusal it returns the reason, and
// in l.rank the rank the dialer claimed.
func (t *Transport) serverHandshake(ctx context.Context, cfg Config, conn net.Conn,
	claim func(int) bool) (l link, reason string) {
	from := conn.RemoteAddr().String()
	refuse := func(rank int, why string) (link, string) {
		conn.Write(appendControl(nil, kindRefuse, cfg.Rank, []byte(why)))
		conn.Close()
		return link{rank: rank}, fmt.Sprintf("%s: %s", from, why)
	}
	end := watch(ctx, conn)
	defer end()
	br := bufio.NewReaderSize(conn, readBufferBytes)

	h, payload, err := readControl(br)
	if err != nil {
		conn.Close()
		return link{rank: -1}, fmt.Sprintf("%s: %v", from, err)
	}
	if h.kind != kindHello {
		return refuse(-1, fmt.Sprintf("%v frame instead of hello", h.kind))
	}
	them, err := parseHello(payload)
	if err != nil {
		return refuse(-1, err.Error())
	}
	dialer := int(h.sender)
	if reason := check(cfg, dialer, them, -1); reason != "" {
		return refuse(-1, reason)
	}
	if !claim(dialer) {
		return refuse(-1, fmt.Sprintf("rank %d is already connected to rank %d", dialer, cfg.Rank))
	}

	me := hello{size: uint32(len(cfg.Addrs)), target: uint32(dialer), job: cfg.JobID}
	if _, err := conn.Write(appendControl(nil, kindHello, cfg.Rank, me.encode())); err != nil {
		conn.Close()
		return link{rank: dialer}, fmt.Sprintf("%s: %v", from, err)
	}
	h, payload, err = readControl(br)
	switch {
	case err != nil:
		conn.Close()
		return link{rank: dialer}, fmt.Sprintf("%s: %v", from, err)
	case h.kind == kindRefuse:
		conn.Close()
		return link{rank: dialer}, fmt.Sprintf("%s refused this member: %s", from, payload)
	case h.kind != kindReady:
		return refuse(dialer, fmt.Sprintf("%v frame instead of ready", h.kind))
	}
	rs, err := setupShm(cfg, conn, br, dialer)
	if err != nil {
		conn.Close()
		return link{rank: dialer}, fmt.Sprintf("%s: %v", from, err)
	}
	if !end() {
		rs.release()
		conn.Close()
		return link{rank: dialer}, fmt.Sprintf("%s: setup ended during the handshake", from)
	}
	return link{rank: dialer, conn: conn, br: br, rings: rs}, ""
}

// watch bounds a handshake on conn by ctx: its deadline, and its end if
// setup is cancelled early. The returned function ends the watch; it
// clears the deadline and reports true unless ctx ended first, in which
// case the connection must not be used.
func watch(ctx context.Context, conn net.Conn) func() bool {
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return func() bool {
		if stop() {
			conn.SetDeadline(time.Time{})
			return true
		}
		return false
	}
}

// check compares a peer's hello, sent by rank sender, with this member's
// configuration and returns why they cannot work together, or "". A
// dialer expects sender to be want; an acceptor passes want < 0 and
// expects a higher rank.
func check(cfg Config, sender int, them hello, want int) string {
	n, me := len(cfg.Addrs), cfg.Rank
	switch {
	case them.job != cfg.JobID:
		return fmt.Sprintf("rank %d is in job %q, rank %d in job %q",
			me, cfg.JobID, sender, them.job)
	case int(them.size) != n:
		return fmt.Sprintf("rank %d is in a group of %d members, rank %d in a group of %d",
			me, n, sender, them.size)
	case int(them.target) != me:
		return fmt.Sprintf("rank %d at %s was taken for rank %d: the members' address lists differ",
			me, cfg.Addrs[me], them.target)
	case want >= 0 && sender != want:
		return fmt.Sprintf("%s answers as rank %d, the address list says rank %d",
			cfg.Addrs[want], sender, want)
	case want < 0 && (sender <= me || sender >= n):
		return fmt.Sprintf("rank %d dialed rank %d, but only ranks %d to %d dial it",
			sender, me, me+1, n-1)
	}
	return ""
}

// readControl reads one handshake frame.
func readControl(br *bufio.Reader) (header, []byte, error) {
	var hb [headerLen]byte
	var store []float32
	h, payload, err := readFrame(br, &hb, &store, 0)
	if err == nil && h.kind == kindData {
		err = fmt.Errorf("%w: data frame during the handshake", exchange.ErrProtocol)
	}
	return h, payload, err
}

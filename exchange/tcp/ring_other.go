//go:build !(linux && (amd64 || arm64))

package tcp

import (
	"errors"
	"sync/atomic"
	"time"
)

// shmSupported says whether members on this platform offer shared
// memory. Here they do not: every pair exchanges over TCP, and no ring
// is ever made, so the functions below are never reached with one.
//
// TODO: shared memory on other platforms needs their own mapping and
// cross-process wait primitive (and, on big-endian machines, a ring
// layout in wire order); until someone runs groups there, they use TCP.
const shmSupported = false

var errNoShm = errors.New("shared memory is not supported on this platform")

func defaultShmDir() string { return "" }

func createRing(string, uint64) (*ring, error) { return nil, errNoShm }

func openRing(string, uint64, [16]byte) (*ring, error) { return nil, errNoShm }

func (r *ring) unlink() {}

func (r *ring) unmap() {}

func futexWait(*atomic.Uint32, uint32, time.Duration) {}

func futexWake(*atomic.Uint32) {}

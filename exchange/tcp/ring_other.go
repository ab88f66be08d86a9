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

func createMapped(string, string, uint64) ([]byte, string, error) { return nil, "", errNoShm }

func openMapped(string, uint64) ([]byte, error) { return nil, errNoShm }

func unlinkPath(string) {}

func unmapMem([]byte) {}

func futexWait(*atomic.Uint32, uint32, time.Duration) {}

func futexWake(*atomic.Uint32) {}

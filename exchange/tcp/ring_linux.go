//go:build linux && (amd64 || arm64)

package tcp

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// shmSupported says whether members on this platform offer shared
// memory: Linux on little-endian 64-bit machines, where a ring's layout
// is the machine's own and futexes work across processes.
const shmSupported = true

// defaultShmDir is where rings are made when Config.SharedMemoryDir is
// empty: the memory file system, or the temporary directory without it.
func defaultShmDir() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

// createRing makes a ring file of size record bytes in dir, readable by
// this user only, maps it and stamps a fresh nonce into it. The file
// stays until unlink; the mapping until unmap.
func createRing(dir string, size uint64) (*ring, error) {
	var name [8]byte
	rand.Read(name[:])
	path := filepath.Join(dir, "mariana-exchange-"+hex.EncodeToString(name[:]))
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC|
		unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	defer unix.Close(fd)

	// Reserving the memory now turns a full file system into an error
	// here, instead of a SIGBUS when a page of the ring is first written.
	total := ringHeaderBytes + size
	if err := unix.Fallocate(fd, 0, 0, int64(total)); err != nil {
		unix.Unlink(path)
		return nil, fmt.Errorf("reserve %d bytes for %s: %w", total, path, err)
	}
	mem, err := unix.Mmap(fd, 0, int(total), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Unlink(path)
		return nil, fmt.Errorf("map %s: %w", path, err)
	}

	r := newRing(mem, size)
	r.path = path
	rand.Read(r.nonce[:])
	r.writeHeader()
	return r, nil
}

// openRing maps the ring file a peer offered and checks that it is the
// ring of that offer: same size and nonce.
func openRing(path string, size uint64, nonce [16]byte) (*ring, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)

	total := ringHeaderBytes + size
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || uint64(st.Size) != total {
		return nil, fmt.Errorf("%s is not a ring file of %d bytes", path, total)
	}
	mem, err := unix.Mmap(fd, 0, int(total), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}

	r := newRing(mem, size)
	r.nonce = nonce
	if why := r.checkHeader(); why != "" {
		unix.Munmap(mem)
		return nil, fmt.Errorf("%s: %s", path, why)
	}
	return r, nil
}

// unlink removes the creator's ring file; the mappings stay.
func (r *ring) unlink() {
	if r.path != "" {
		unix.Unlink(r.path)
		r.path = ""
	}
}

// unmap releases this process's mapping. The ring must not be used after.
func (r *ring) unmap() {
	unix.Munmap(r.mem)
	r.mem, r.data = nil, nil
}

// Futex operations on a word in memory shared between processes: not
// the _PRIVATE variants, which only match waiters of the same process.
const (
	futexWaitOp = 0
	futexWakeOp = 1
)

// futexWait sleeps while *word is val, for at most d. It may return
// early, spuriously or when interrupted; callers check their condition.
func futexWait(word *atomic.Uint32, val uint32, d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWaitOp, uintptr(val),
		uintptr(unsafe.Pointer(&ts)), 0, 0)
}

// futexWake wakes every sleeper on word. It never blocks, so it skips
// the scheduler's bookkeeping for blocking system calls.
func futexWake(word *atomic.Uint32) {
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWakeOp,
		math.MaxInt32, 0, 0, 0)
}

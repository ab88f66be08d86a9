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

// createMapped makes a file of total bytes in dir, named prefix and a
// random suffix, readable by this user only, and maps it shared. The file
// stays until unlinkPath; the mapping until unmapMem.
func createMapped(dir, prefix string, total uint64) ([]byte, string, error) {
	var name [8]byte
	rand.Read(name[:])
	path := filepath.Join(dir, prefix+hex.EncodeToString(name[:]))
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC|
		unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, "", fmt.Errorf("create %s: %w", path, err)
	}
	defer unix.Close(fd)

	// Reserving the memory now turns a full file system into an error
	// here, instead of a SIGBUS when a page is first written.
	if err := unix.Fallocate(fd, 0, 0, int64(total)); err != nil {
		unix.Unlink(path)
		return nil, "", fmt.Errorf("reserve %d bytes for %s: %w", total, path, err)
	}
	mem, err := unix.Mmap(fd, 0, int(total), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		unix.Unlink(path)
		return nil, "", fmt.Errorf("map %s: %w", path, err)
	}
	return mem, path, nil
}

// openMapped maps the file a peer made with createMapped, which must be a
// regular file of total bytes.
func openMapped(path string, total uint64) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer unix.Close(fd)

	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || uint64(st.Size) != total {
		return nil, fmt.Errorf("%s is not a shared file of %d bytes", path, total)
	}
	mem, err := unix.Mmap(fd, 0, int(total), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("map %s: %w", path, err)
	}
	return mem, nil
}

// unlinkPath removes a file made by createMapped; its mappings stay.
func unlinkPath(path string) { unix.Unlink(path) }

// unmapMem releases a mapping made by createMapped or openMapped.
func unmapMem(mem []byte) { unix.Munmap(mem) }

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

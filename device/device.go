package device

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/internal/par"
	"github.com/mariana-dl/mariana/layer"
)

// Device is a unit of compute with its own memory.
type Device interface {
	// Name identifies the device in plans and logs, such as "cpu:1".
	Name() string

	// Context returns a fresh compute context for the device: a layer
	// computation run with it uses only the device's threads.
	Context() layer.Context

	// Memory is the account of the bytes the device holds.
	Memory() *Memory

	// Attach binds the calling goroutine to the device until detach is
	// called, from the same goroutine: the goroutine that drives a
	// replica or a partition attaches once and computes from then on. A
	// CPU device with cores locks the goroutine to an OS thread that runs
	// only on those cores; a GPU device makes its context current.
	Attach() (detach func(), err error)

	// Close releases what the device holds for computing, such as a CPU
	// device's worker goroutines. Contexts it gave out must not be used
	// afterwards.
	Close() error
}

// CPU is a device made of a number of the machine's threads, optionally
// pinned to a set of cores. A device of several threads runs its layers'
// loops on a persistent pool of workers, started with the first Context
// and, when the device has cores, pinned to them.
type CPU struct {
	index, threads int
	cores          []int
	mem            Memory

	poolOnce sync.Once
	pool     *par.Pool
}

// NewCPU returns CPU device number index with the given thread budget
// (at least 1), not pinned to any core.
func NewCPU(index, threads int) *CPU {
	return &CPU{index: index, threads: max(threads, 1)}
}

// NewPinnedCPU returns CPU device number index that computes on the given
// cores, one thread per core.
func NewPinnedCPU(index int, cores []int) (*CPU, error) {
	if len(cores) == 0 {
		return nil, fmt.Errorf("device: cpu:%d: no cores", index)
	}
	for _, c := range cores {
		if c < 0 || c >= maxCore {
			return nil, fmt.Errorf("device: cpu:%d: core %d outside 0 to %d", index, c, maxCore-1)
		}
	}
	return &CPU{index: index, threads: len(cores), cores: append([]int(nil), cores...)}, nil
}

// SplitCPUs cuts the machine's cores into n CPU devices, giving each an
// equal share (the first ones one more when they do not divide evenly) and
// at least one thread. threads is the budget to split; 0 means every core
// the process may run on. The devices are not pinned: the operating system
// places their threads.
func SplitCPUs(n, threads int) ([]*CPU, error) {
	return splitCPUs(n, threads, false)
}

// SplitPinnedCPUs is SplitCPUs, but when the budget fits in the cores the
// process may run on, each device also gets cores of its own (the first
// share of the allowed cores to the first device, and so on) and [CPU.Attach]
// pins to them, so that devices never compete for a core. When the budget
// does not fit, the devices are not pinned.
func SplitPinnedCPUs(n, threads int) ([]*CPU, error) {
	return splitCPUs(n, threads, true)
}

func splitCPUs(n, threads int, pin bool) ([]*CPU, error) {
	if n < 1 {
		return nil, fmt.Errorf("device: %d devices, want at least 1", n)
	}
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	var allowed []int
	if pin {
		allowed = AllowedCores()
		pin = pinSupported && threads >= n && threads <= len(allowed)
	}

	devs := make([]*CPU, n)
	next := 0
	for i := range devs {
		share := threads / n
		if i < threads%n {
			share++
		}
		share = max(share, 1)
		devs[i] = NewCPU(i, share)
		if pin {
			devs[i].cores = append([]int(nil), allowed[next:next+share]...)
			next += share
		}
	}
	return devs, nil
}

// Name returns "cpu:INDEX".
func (c *CPU) Name() string { return "cpu:" + strconv.Itoa(c.index) }

// Threads returns the device's thread budget.
func (c *CPU) Threads() int { return c.threads }

// Cores returns the cores the device is pinned to, or nil.
func (c *CPU) Cores() []int { return append([]int(nil), c.cores...) }

// String reads "cpu:1 (1 thread on core 1)".
func (c *CPU) String() string {
	noun := "threads"
	if c.threads == 1 {
		noun = "thread"
	}
	if len(c.cores) == 0 {
		return fmt.Sprintf("%s (%d %s)", c.Name(), c.threads, noun)
	}
	where := "core"
	if len(c.cores) > 1 {
		where = "cores"
	}
	return fmt.Sprintf("%s (%d %s on %s %s)", c.Name(), c.threads, noun, where,
		FormatCores(c.cores))
}

// Context returns a compute context using the device's threads. Every
// context of the device shares its worker pool, which one goroutine drives
// at a time (see par.Pool).
func (c *CPU) Context() layer.Context {
	ctx := layer.Context{BLAS: auto.New(c.threads), SerialBLAS: auto.New(1), Threads: c.threads}
	if c.threads > 1 {
		c.poolOnce.Do(func() { c.pool = par.NewPool(c.threads, c.startWorker) })
		ctx.Pool = c.pool
	}
	return ctx
}

// startWorker runs first on each of the pool's goroutines: it keeps the
// worker on the device's cores for good.
func (c *CPU) startWorker(int) {
	if len(c.cores) == 0 {
		return
	}
	runtime.LockOSThread()
	// A worker that cannot be pinned still computes, only unpinned; the
	// device's own goroutine reports the error when it attaches.
	pinThread(c.cores)
}

// Close stops the device's worker pool, if it started one.
func (c *CPU) Close() error {
	c.poolOnce.Do(func() {})
	if c.pool != nil {
		c.pool.Close()
	}
	return nil
}

// Memory returns the device's memory account.
func (c *CPU) Memory() *Memory { return &c.mem }

// Attach locks the calling goroutine to its OS thread and lets that thread
// run only on the device's cores. Matrix products the goroutine runs on
// one thread (OpenBLAS through cgo runs on the calling thread) stay on the
// device's cores. A device without cores attaches without pinning.
// The device's pool workers pin themselves when they start.
//
// TODO: the goroutines blas/openblas splits a product over are started per
// product by internal/par's For and run unpinned; they would stay on the
// device's cores once the BLAS implementations take the device's pool.
func (c *CPU) Attach() (func(), error) {
	if len(c.cores) == 0 {
		return func() {}, nil
	}
	runtime.LockOSThread()
	restore, err := pinThread(c.cores)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("device: %s: %w", c.Name(), err)
	}
	return func() {
		restore()
		runtime.UnlockOSThread()
	}, nil
}

// FormatCores writes a core list in the kernel's list format, "0-3,6".
func FormatCores(cores []int) string {
	var b strings.Builder
	for i := 0; i < len(cores); {
		j := i
		for j+1 < len(cores) && cores[j+1] == cores[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(cores[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(cores[j]))
		}
		i = j + 1
	}
	return b.String()
}

// ParseCores reads a core list in the kernel's list format, "0-3,6".
func ParseCores(s string) ([]int, error) {
	var cores []int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := strconv.Atoi(lo)
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(hi)
		}
		if err != nil || a < 0 || b < a || b >= maxCore {
			return nil, fmt.Errorf("device: core list %q: bad entry %q "+
				"(want numbers or ranges such as 0-3,6)", s, part)
		}
		for c := a; c <= b; c++ {
			cores = append(cores, c)
		}
	}
	return cores, nil
}

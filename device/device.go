package device

import (
	"fmt"
	"runtime"

	"github.com/mariana-dl/mariana/blas/auto"
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
}

// CPU is a device made of a number of the machine's threads.
type CPU struct {
	index, threads int
	mem            Memory
}

// NewCPU returns CPU device number index with the given thread budget
// (at least 1).
func NewCPU(index, threads int) *CPU {
	return &CPU{index: index, threads: max(threads, 1)}
}

// SplitCPUs cuts the machine's cores into n CPU devices, giving each an
// equal share (the first ones one more when they do not divide evenly) and
// at least one thread. threads is the budget to split; 0 means every core.
func SplitCPUs(n, threads int) ([]*CPU, error) {
	if n < 1 {
		return nil, fmt.Errorf("device: %d devices, want at least 1", n)
	}
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	devs := make([]*CPU, n)
	for i := range devs {
		share := threads / n
		if i < threads%n {
			share++
		}
		devs[i] = NewCPU(i, share)
	}
	return devs, nil
}

// Name returns "cpu:INDEX".
func (c *CPU) Name() string { return fmt.Sprintf("cpu:%d", c.index) }

// Threads returns the device's thread budget.
func (c *CPU) Threads() int { return c.threads }

// Context returns a compute context using the device's threads.
func (c *CPU) Context() layer.Context {
	return layer.Context{BLAS: auto.New(c.threads), SerialBLAS: auto.New(1), Threads: c.threads}
}

// Memory returns the device's memory account.
func (c *CPU) Memory() *Memory { return &c.mem }

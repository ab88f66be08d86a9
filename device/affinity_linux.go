//go:build linux

package device

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// pinSupported says whether threads can be pinned to cores here.
const pinSupported = true

// maxCore bounds core numbers: the size of the kernel's CPU set.
const maxCore = 1024

// AllowedCores returns the cores the calling thread may run on, in
// ascending order; at start-up that is the process's affinity mask. It
// returns nil when the mask cannot be read.
func AllowedCores() []int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil
	}
	var cores []int
	for c := 0; c < maxCore && len(cores) < set.Count(); c++ {
		if set.IsSet(c) {
			cores = append(cores, c)
		}
	}
	return cores
}

// pinThread lets the calling OS thread run only on cores, and returns a
// function that restores its previous mask. The caller has locked its
// goroutine to the thread.
func pinThread(cores []int) (restore func(), err error) {
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return nil, fmt.Errorf("read the thread's affinity: %w", err)
	}
	for _, c := range cores {
		set.Set(c)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("pin the thread to cores %s: %w", FormatCores(cores), err)
	}
	return func() { unix.SchedSetaffinity(0, &old) }, nil
}

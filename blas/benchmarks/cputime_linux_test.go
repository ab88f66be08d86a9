//go:build linux

package benchmarks

import (
	"syscall"
	"time"
)

// threadCPUTime returns the CPU time, user and system, that the calling OS
// thread has used, or 0 if the kernel will not tell.
func threadCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

//go:build !linux

package benchmarks

import "time"

// threadCPUTime returns 0: only Linux reports a thread's CPU time through the
// syscall package, and BenchmarkSgemm leaves the CPU-time metric out.
func threadCPUTime() time.Duration { return 0 }

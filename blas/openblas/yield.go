//go:build cgo

package openblas

import (
	"runtime"
	"sync/atomic"
	"time"
)

// Note [Yield between calls]. Go 1.26's system monitor takes the P away
// from a goroutine that is in a cgo call when the goroutine has run for
// 10 ms without passing through the scheduler, whatever the call's own
// length. A goroutine that does nothing but call OpenBLAS (a benchmark
// loop, a layer made of many products) loses its P in almost every call
// from then on: each return must find a P again and wake the monitor,
// which then runs every 20 µs. On two cores that costs about 11,000
// context switches a second, taken from OpenBLAS's own threads, and two-
// thread products of 128³ ran 10% slower than from C (bench/gemm/gemm.sh).
// Passing through the scheduler once every few milliseconds resets the
// monitor's clock and costs one context switch each time.

// yieldEvery is how long products may follow each other without a pass
// through the scheduler: half the monitor's 10 ms.
const yieldEvery = int64(5 * time.Millisecond)

// lastYield is when a product last yielded, in nanoseconds since epoch.
// It is shared by every goroutine: goroutines that run products side by
// side (devices) meet at barriers each step and pass through the
// scheduler there anyway.
//
// TODO: with one timestamp for the process, a goroutine whose neighbours
// take every turn to yield can still go 10 ms without passing through the
// scheduler; a per-goroutine clock would need goroutine-local state, which
// Go does not offer, or a clock held by each device's context.
var lastYield atomic.Int64

// yieldSometimes yields the processor when no product has done so for
// yieldEvery (see Note [Yield between calls]).
func yieldSometimes() {
	now := time.Now().UnixNano()
	last := lastYield.Load()
	if now-last < yieldEvery || !lastYield.CompareAndSwap(last, now) {
		return
	}
	runtime.Gosched()
}

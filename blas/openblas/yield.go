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

// yieldClock is when a product of one Impl last yielded, in nanoseconds
// since the epoch. Each device makes its own Impl, so each device's
// goroutine keeps its own clock: with one clock for the process, two
// devices computing side by side took turns to yield, and the one that
// lost the turn lost its P in every call (8,000 context switches a second
// where a clock each leaves 1,000 to 3,000, and 9% more time for a pair
// of one-thread devices running convolution-sized products).
//
// TODO: goroutines that share an Impl (the workers of a device with
// several threads) still share its clock, so one of them can go 10 ms
// without passing through the scheduler; they meet at the device's
// barriers every layer, which pass through it anyway. A clock per
// goroutine would need goroutine-local state, which Go does not offer.
type yieldClock struct{ last atomic.Int64 }

// yieldSometimes yields the processor when no product of c has done so for
// yieldEvery (see Note [Yield between calls]).
func (c *yieldClock) yieldSometimes() {
	now := time.Now().UnixNano()
	last := c.last.Load()
	if now-last < yieldEvery || !c.last.CompareAndSwap(last, now) {
		return
	}
	runtime.Gosched()
}

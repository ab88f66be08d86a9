package main

import (
	"os"
	"runtime"
)

// spareProc gives the Go scheduler one more P than the machine has cores,
// unless the user set GOMAXPROCS.
//
// Note [A spare P]. Mariana's compute goroutines spend most of a step in
// cgo calls to OpenBLAS, each holding a core for tens of microseconds to
// milliseconds, and a device starts one such goroutine per core it owns.
// A goroutine in a cgo call keeps its P in the syscall state; when every P
// is in that state, none is idle, and the runtime's monitor takes each one
// back after its first 20 µs tick and hands it to a new thread that spins
// looking for work, on the very cores the C code is using, and the caller
// then finds its P gone when the call returns and waits for another. With
// one P to spare, an idle P exists and the monitor leaves calls alone for
// 10 ms. The compute goroutines are bounded by the devices' thread counts,
// not by GOMAXPROCS, so the spare P adds no compute thread; it lets the
// exchange's and the input pipeline's goroutines run while the compute
// holds the cores, as they already did during cgo calls. Measured with
// go test -bench 'CifarQuickConv/conv2/threads=2' ./layer: 2,719 samples/s
// with GOMAXPROCS=2, 3,437 with 3 on this 2-core machine.
func spareProc() {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	runtime.GOMAXPROCS(runtime.NumCPU() + 1)
}

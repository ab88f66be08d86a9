//go:build !linux

package device

import (
	"errors"
	"runtime"
)

// pinSupported says whether threads can be pinned to cores here.
const pinSupported = false

// maxCore bounds core numbers.
const maxCore = 1024

// AllowedCores returns every core: this system offers no affinity mask.
func AllowedCores() []int {
	cores := make([]int, runtime.NumCPU())
	for i := range cores {
		cores[i] = i
	}
	return cores
}

// pinThread fails: this system cannot pin threads to cores.
func pinThread([]int) (func(), error) {
	return nil, errors.New("pinning threads to cores is only supported on Linux")
}

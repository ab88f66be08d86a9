//go:build !amd64 || purego

package kernel

func addAVX(dst, src *float32, n int) {
	panic("kernel: no assembly add on this platform")
}

func momentumAVX(w, grad, v *float32, n int, rate, decay, mu float32) {
	panic("kernel: no assembly momentum on this platform")
}

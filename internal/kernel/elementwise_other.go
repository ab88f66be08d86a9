//go:build !amd64 || purego

package kernel

func addAVX(dst, src *float32, n int) {
	panic("kernel: no assembly add on this platform")
}

func momentumAVX(w, grad, v *float32, n int, rate, decay, mu float32) {
	panic("kernel: no assembly momentum on this platform")
}

func sgdAVX(w, grad *float32, n int, rate, decay float32) {
	panic("kernel: no assembly SGD on this platform")
}

func nesterovAVX(w, grad, v *float32, n int, rate, decay, mu, onePlusMu float32) {
	panic("kernel: no assembly Nesterov on this platform")
}

func adaGradAVX(w, grad, h *float32, n int, rate, decay, eps float32) {
	panic("kernel: no assembly AdaGrad on this platform")
}

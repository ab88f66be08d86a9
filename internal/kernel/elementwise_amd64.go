//go:build amd64 && !purego

package kernel

// addAVX, momentumAVX, sgdAVX, nesterovAVX and adaGradAVX are the loops of
// Add, Momentum, SGD, Nesterov and AdaGrad, in elementwise_amd64.s, over n
// elements, n a multiple of 8.
//
//go:noescape
func addAVX(dst, src *float32, n int)

//go:noescape
func momentumAVX(w, grad, v *float32, n int, rate, decay, mu float32)

//go:noescape
func sgdAVX(w, grad *float32, n int, rate, decay float32)

//go:noescape
func nesterovAVX(w, grad, v *float32, n int, rate, decay, mu, onePlusMu float32)

//go:noescape
func adaGradAVX(w, grad, h *float32, n int, rate, decay, eps float32)

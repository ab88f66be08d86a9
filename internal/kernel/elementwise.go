package kernel

import "math"

// Elementwise loops over whole buffers: the exchange's sum of gradients and
// the solvers' update rules. Each element gets the same float32
// operations, in the same order, as the Go reference beside it, with no
// fused multiply-add, so the assembly and the Go give the same bits and a
// run does not depend on which one a machine takes.

// avxLen returns how many of n elements the assembly loops take: a
// multiple of 8, or none where there is no assembly.
func avxLen(n int) int {
	if !hasTile {
		return 0
	}
	return n &^ 7
}

// Add sets dst[i] += src[i] for every i of dst; src must be at least as
// long as dst.
func Add(dst, src []float32) {
	src = src[:len(dst)]
	n := avxLen(len(dst))
	if n > 0 {
		addAVX(&dst[0], &src[0], n)
	}
	AddGo(dst[n:], src[n:])
}

// AddGo is Add in Go.
func AddGo(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

// Momentum is SGD with momentum as Caffe computes it, with the sign folded
// into the history v: for every i of w,
//
//	g = grad[i] + decay·w[i]; v[i] = mu·v[i] − rate·g; w[i] += v[i]
//
// rounding each product to float32 before it is added. grad and v must be
// at least as long as w.
func Momentum(w, grad, v []float32, rate, decay, mu float32) {
	grad, v = grad[:len(w)], v[:len(w)]
	n := avxLen(len(w))
	if n > 0 {
		momentumAVX(&w[0], &grad[0], &v[0], n, rate, decay, mu)
	}
	MomentumGo(w[n:], grad[n:], v[n:], rate, decay, mu)
}

// MomentumGo is Momentum in Go. The conversions to float32 forbid the
// compiler to fuse a product with the sum that follows.
func MomentumGo(w, grad, v []float32, rate, decay, mu float32) {
	grad, v = grad[:len(w)], v[:len(w)]
	for i, wi := range w {
		g := grad[i] + float32(decay*wi)
		vi := float32(mu*v[i]) - float32(rate*g)
		v[i] = vi
		w[i] = wi + vi
	}
}

// SGD is SGD without momentum: for every i of w, g = grad[i] + decay·w[i];
// w[i] −= rate·g. grad must be at least as long as w.
func SGD(w, grad []float32, rate, decay float32) {
	grad = grad[:len(w)]
	n := avxLen(len(w))
	if n > 0 {
		sgdAVX(&w[0], &grad[0], n, rate, decay)
	}
	SGDGo(w[n:], grad[n:], rate, decay)
}

// SGDGo is SGD in Go.
func SGDGo(w, grad []float32, rate, decay float32) {
	grad = grad[:len(w)]
	for i, wi := range w {
		g := grad[i] + float32(decay*wi)
		w[i] = wi - float32(rate*g)
	}
}

// Nesterov is Caffe's Nesterov step: for every i of w, with g = grad[i] +
// decay·w[i] and the new history v' = mu·v[i] − rate·g, it stores v' and
// steps w[i] += (1+mu)·v' − mu·v[i]. grad and v must be at least as long
// as w.
func Nesterov(w, grad, v []float32, rate, decay, mu float32) {
	grad, v = grad[:len(w)], v[:len(w)]
	n := avxLen(len(w))
	if n > 0 {
		nesterovAVX(&w[0], &grad[0], &v[0], n, rate, decay, mu, 1+mu)
	}
	NesterovGo(w[n:], grad[n:], v[n:], rate, decay, mu)
}

// NesterovGo is Nesterov in Go.
func NesterovGo(w, grad, v []float32, rate, decay, mu float32) {
	grad, v = grad[:len(w)], v[:len(w)]
	onePlusMu := 1 + mu
	for i, wi := range w {
		g := grad[i] + float32(decay*wi)
		prev := v[i]
		vi := float32(mu*prev) - float32(rate*g)
		v[i] = vi
		w[i] = wi + (float32(onePlusMu*vi) - float32(mu*prev))
	}
}

// AdaGrad is the diagonal AdaGrad step as Caffe computes it: for every i
// of w, g = grad[i] + decay·w[i]; h[i] += g²; w[i] −= rate·g/(√h[i] + eps),
// the root correctly rounded. grad and h must be at least as long as w.
func AdaGrad(w, grad, h []float32, rate, decay, eps float32) {
	grad, h = grad[:len(w)], h[:len(w)]
	n := avxLen(len(w))
	if n > 0 {
		adaGradAVX(&w[0], &grad[0], &h[0], n, rate, decay, eps)
	}
	AdaGradGo(w[n:], grad[n:], h[n:], rate, decay, eps)
}

// AdaGradGo is AdaGrad in Go. A float32 square root taken through float64
// is correctly rounded: float64 has more than twice float32's precision
// plus two bits.
func AdaGradGo(w, grad, h []float32, rate, decay, eps float32) {
	grad, h = grad[:len(w)], h[:len(w)]
	for i, wi := range w {
		g := grad[i] + float32(decay*wi)
		hi := h[i] + float32(g*g)
		h[i] = hi
		root := float32(math.Sqrt(float64(hi)))
		w[i] = wi - float32(rate*(g/(root+eps)))
	}
}

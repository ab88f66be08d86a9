package kernel

// Elementwise loops over whole buffers: the exchange's sum of gradients and
// the solver's momentum step. Each element gets the same float32
// operations, in the same order, as the Go reference beside it, with no
// fused multiply-add, so the assembly and the Go give the same bits and a
// run does not depend on which one a machine takes.

// Add sets dst[i] += src[i] for every i of dst; src must be at least as
// long as dst.
func Add(dst, src []float32) {
	src = src[:len(dst)]
	n := 0
	if hasTile {
		n = len(dst) &^ 7
		if n > 0 {
			addAVX(&dst[0], &src[0], n)
		}
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
	n := 0
	if hasTile {
		n = len(w) &^ 7
		if n > 0 {
			momentumAVX(&w[0], &grad[0], &v[0], n, rate, decay, mu)
		}
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

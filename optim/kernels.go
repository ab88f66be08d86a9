package optim

import "github.com/mariana-dl/mariana/internal/kernel"

// The update rules, one loop each, over matching slices of the weights w,
// the gradient grad and the method's history. rate is the parameter's
// learning rate (lr·LRMult) and decay its weight decay (weight_decay ·
// DecayMult); every rule first forms g = grad + decay·w.
//
// Note [Rounding]: each product is converted to float32 before it is added.
// The Go spec lets a compiler fuse x*y+z into one fused multiply-add, which
// rounds once instead of twice; an explicit conversion forbids that. So the
// arithmetic is the same on every architecture and every Go version, and a
// checkpoint resumed on another machine continues bit for bit. The order of
// operations follows Caffe's solvers, so the results match them exactly.

// The loops are package kernel's, vectorised where the CPU allows, with
// the rounding above.

// sgdPlain is SGD without momentum: w -= rate·g. It equals the momentum
// rule with μ = 0 bit for bit (v = 0·v − rate·g is exactly −rate·g) and
// needs no history.
func sgdPlain(w, grad []float32, rate, decay float32) {
	kernel.SGD(w, grad, rate, decay)
}

// sgdMomentum is Caffe's momentum SGD with the sign folded into v:
// v = μ·v − rate·g; w += v.
func sgdMomentum(w, grad, v []float32, rate, decay, mu float32) {
	kernel.Momentum(w, grad, v, rate, decay, mu)
}

// nesterov is Caffe's NesterovSolver: with v' = μ·v − rate·g it steps
// w += (1+μ)·v' − μ·v. That is the look-ahead update of Sutskever et al.
// (2013), which takes the gradient at w + μ·v, rewritten in terms of the
// weights actually stored, as Bengio et al. (2012, "Advances in optimizing
// recurrent networks") derive it; so the caller's gradient, taken at w, is
// all it needs.
func nesterov(w, grad, v []float32, rate, decay, mu float32) {
	kernel.Nesterov(w, grad, v, rate, decay, mu)
}

// adaGrad is Duchi, Hazan and Singer (2011), diagonal form as in Caffe:
// h += g²; w −= rate·g/(√h + ε). ε sits outside the root, as in Caffe.
func adaGrad(w, grad, h []float32, rate, decay, eps float32) {
	kernel.AdaGrad(w, grad, h, rate, decay, eps)
}

package tensor

// Axpy computes y += alpha*x. x and y must have the same length.
func Axpy(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Scale computes x *= alpha.
func Scale(alpha float32, x []float32) {
	for i := range x {
		x[i] *= alpha
	}
}

// Add computes dst = a + b element by element.
func Add(dst, a, b []float32) {
	b = b[:len(a)]
	dst = dst[:len(a)]
	for i := range a {
		dst[i] = a[i] + b[i]
	}
}

// Dot returns the float64 sum of x[i]*y[i].
func Dot(x, y []float32) float64 {
	y = y[:len(x)]
	var s float64
	for i := range x {
		s += float64(x[i]) * float64(y[i])
	}
	return s
}

// AllFinite reports whether no element of x is NaN or infinite.
func AllFinite(x []float32) bool {
	for _, v := range x {
		if v-v != 0 {
			return false
		}
	}
	return true
}

//go:build amd64 && !purego

package kernel

// addAVX and momentumAVX are Add's and Momentum's loops, in
// elementwise_amd64.s, over n elements, n a multiple of 8.
//
//go:noescape
func addAVX(dst, src *float32, n int)

//go:noescape
func momentumAVX(w, grad, v *float32, n int, rate, decay, mu float32)

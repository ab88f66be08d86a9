package native

import (
	"sync"

	"github.com/mariana-dl/mariana/blas"
)

const (
	// kc is the depth of a packed block: a B panel of kc×nr values (8 KiB)
	// stays in L1 while the kernel runs over every A panel.
	kc = 256

	// mc is the number of rows of op(A) packed at once; the packed block
	// (60 KiB) stays in L2. A multiple of every mr.
	mc = 60

	// nc is the number of columns of op(B) packed at once (1 MiB packed),
	// small enough to share L2 with the A block. A multiple of every nr.
	nc = 1024
)

// workspace holds one goroutine's packing buffers.
type workspace struct {
	a []float32 // mc×kc values of op(A), as packA lays them out
	b []float32 // kc×nc values of op(B), as packB lays them out
}

// workspaces recycles buffers between products and goroutines, so that a
// product allocates nothing once the pool holds one workspace per
// goroutine that computes at the same time.
var workspaces = sync.Pool{
	New: func() any {
		return &workspace{a: make([]float32, mc*kc), b: make([]float32, kc*nc)}
	},
}

// block computes rows [r0, r1) and columns [c0, c1) of C = alpha·op(A)·op(B)
// + beta·C, on the calling goroutine.
func block(tA, tB blas.Transpose, alpha float32, a, b blas.General, beta float32,
	c blas.General, r0, r1, c0, c1, k int) {
	scale(beta, c, r0, r1, c0, c1)
	if k == 0 || alpha == 0 {
		return
	}

	ws := workspaces.Get().(*workspace)
	defer workspaces.Put(ws)

	for jc := c0; jc < c1; jc += nc {
		n := min(nc, c1-jc)
		for pc := 0; pc < k; pc += kc {
			depth := min(kc, k-pc)
			packB(ws.b, b, tB, pc, depth, jc, n)
			for ic := r0; ic < r1; ic += mc {
				m := min(mc, r1-ic)
				packA(ws.a, a, tA, ic, m, pc, depth)
				macro(alpha, ws.a, ws.b, c, ic, m, jc, n, depth)
			}
		}
	}
}

// macro adds alpha times the product of a packed m×k block of op(A) and a
// packed k×n block of op(B) into C at row i0, column j0, one tile at a
// time. The outer loop walks B panels so that each stays in L1 while every
// A panel passes by it.
func macro(alpha float32, pa, pb []float32, c blas.General, i0, m, j0, n, k int) {
	var t tile
	for jr := 0; jr < n; jr += nr {
		w := min(nr, n-jr)
		bPanel := pb[(jr/nr)*k*nr : (jr/nr+1)*k*nr]
		for ir := 0; ir < m; ir += mr {
			h := min(mr, m-ir)
			micro(k, pa[(ir/mr)*k*mr:(ir/mr+1)*k*mr], bPanel, &t)
			for i := 0; i < h; i++ {
				at := (i0+ir+i)*c.Stride + j0 + jr
				row := c.Data[at : at+w]
				for j := range row {
					row[j] += alpha * t[i*nr+j]
				}
			}
		}
	}
}

// scale sets rows [r0, r1) and columns [c0, c1) of C to beta times
// themselves, writing zeros when beta is 0 so that NaN or Inf left in C
// does not survive.
func scale(beta float32, c blas.General, r0, r1, c0, c1 int) {
	if beta == 1 {
		return
	}
	for i := r0; i < r1; i++ {
		row := c.Data[i*c.Stride+c0 : i*c.Stride+c1]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

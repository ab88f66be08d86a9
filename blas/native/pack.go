package native

import "github.com/mariana-dl/mariana/blas"

// packA copies rows [i0, i0+m) and inner columns [p0, p0+k) of op(A) into
// dst as panels of mr rows: value (i, p) of the block lands at
// dst[(i/mr)*k*mr + p*mr + i%mr]. Rows past m in the last panel are zero.
func packA(dst []float32, a blas.General, tA blas.Transpose, i0, m, p0, k int) {
	panels := (m + mr - 1) / mr
	dst = dst[:panels*k*mr]
	if m%mr != 0 {
		clear(dst[(panels-1)*k*mr:])
	}

	if !tA {
		for i := 0; i < m; i++ {
			src := a.Data[(i0+i)*a.Stride+p0 : (i0+i)*a.Stride+p0+k]
			panel := dst[(i/mr)*k*mr:]
			for p, v := range src {
				panel[p*mr+i%mr] = v
			}
		}
		return
	}

	// op(A) = Aᵀ: row i of op(A) is column i of A, so walk A by rows.
	for p := 0; p < k; p++ {
		src := a.Data[(p0+p)*a.Stride+i0 : (p0+p)*a.Stride+i0+m]
		for i, v := range src {
			dst[(i/mr)*k*mr+p*mr+i%mr] = v
		}
	}
}

// packB copies inner rows [p0, p0+k) and columns [j0, j0+n) of op(B) into
// dst as panels of nr columns: value (p, j) of the block lands at
// dst[(j/nr)*k*nr + p*nr + j%nr]. Columns past n in the last panel are
// zero.
func packB(dst []float32, b blas.General, tB blas.Transpose, p0, k, j0, n int) {
	panels := (n + nr - 1) / nr
	dst = dst[:panels*k*nr]

	if !tB {
		for p := 0; p < k; p++ {
			src := b.Data[(p0+p)*b.Stride+j0 : (p0+p)*b.Stride+j0+n]
			for q := 0; q < panels; q++ {
				step := dst[q*k*nr+p*nr : q*k*nr+p*nr+nr]
				w := copy(step, src[q*nr:min(q*nr+nr, n)])
				clear(step[w:])
			}
		}
		return
	}

	// op(B) = Bᵀ: column j of op(B) is row j of B, so walk B by rows.
	if n%nr != 0 {
		clear(dst[(panels-1)*k*nr:])
	}
	for j := 0; j < n; j++ {
		src := b.Data[(j0+j)*b.Stride+p0 : (j0+j)*b.Stride+p0+k]
		panel := dst[(j/nr)*k*nr:]
		for p, v := range src {
			panel[p*nr+j%nr] = v
		}
	}
}

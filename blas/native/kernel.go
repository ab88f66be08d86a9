package native

import "github.com/mariana-dl/mariana/internal/kernel"

// mr and nr are the rows and columns of the tile the micro-kernel
// computes. Where package kernel has its assembly (AVX2 and FMA), its
// 6×16 tile is the micro-kernel; elsewhere the Go loop below, for which Go
// on amd64 has 15 floating-point registers to allocate: 1×8 keeps eight
// accumulators and the element of A in them, and ran fastest of the shapes
// tried (1×6, 1×8, 1×12, 2×3, 2×4, 2×6, 3×4, 4×4), whose larger
// accumulator sets spill to the stack. kernel1x8 is written for mr = 1.
var mr, nr = 1, 8

func init() {
	if kernel.Available() {
		mr, nr = kernel.Wide.Rows, kernel.Wide.Cols
	}
}

// tile is one mr×nr block of the product, row-major.
type tile [6 * 16]float32

// panelOff[p] is where step p of a packed B panel of the assembly tile
// starts: its nr values are consecutive.
var panelOff = func() []int32 {
	off := make([]int32, kc)
	for p := range off {
		off[p] = int32(p * kernel.Wide.Cols)
	}
	return off
}()

// micro sets t to the product of a packed A panel (k steps of mr values)
// and a packed B panel (k steps of nr values).
func micro(k int, a, b []float32, t *tile) {
	if mr == 1 {
		kernel1x8(a[:k], b, t)
		return
	}
	kernel.Tile(kernel.Wide, k, a, panelOff, k*nr, b, nr/2, t[:], nr)
}

// kernel1x8 sets t to the product of a packed A panel (one value per step
// of the inner dimension) and a packed B panel (8 values per step).
func kernel1x8(a, b []float32, t *tile) {
	var c0, c1, c2, c3, c4, c5, c6, c7 float32
	b = b[:nr*len(a)]
	for p, ap := range a {
		// Reslicing to exactly nr elements lets the compiler drop the
		// bounds checks inside the step.
		bp := b[nr*p : nr*p+nr : nr*p+nr]
		c0 += ap * bp[0]
		c1 += ap * bp[1]
		c2 += ap * bp[2]
		c3 += ap * bp[3]
		c4 += ap * bp[4]
		c5 += ap * bp[5]
		c6 += ap * bp[6]
		c7 += ap * bp[7]
	}
	t[0], t[1], t[2], t[3] = c0, c1, c2, c3
	t[4], t[5], t[6], t[7] = c4, c5, c6, c7
}

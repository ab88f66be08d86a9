//go:build amd64 && !purego

package kernel

import "golang.org/x/sys/cpu"

// hasTile is whether the CPU has the AVX2 and FMA instructions the
// assembly uses (and the OS saves the YMM registers, which cpu checks).
var hasTile = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// tile6x16 and tile12x8 are Tile's loops for Wide and Narrow, in
// tile_amd64.s; the caller checked every bound.
//
//go:noescape
func tile6x16(k int, a *float32, off *int32, b *float32, half int, c *float32, ldc int)

//go:noescape
func tile12x8(k int, a *float32, off *int32, b *float32, c *float32, ldc int)

//go:noescape
func dot3(n int, x *float32, ldx int, y *float32, ldy int, f int, c *float32, ldc int, run int,
	skip int)

//go:build !amd64 || purego

package kernel

const hasTile = false

func tile6x16(k int, a *float32, off *int32, b *float32, half int, c *float32, ldc int) {
	panic("kernel: no assembly tile on this platform")
}

func tile12x8(k int, a *float32, off *int32, b *float32, c *float32, ldc int) {
	panic("kernel: no assembly tile on this platform")
}

func dot3(n int, x *float32, ldx int, y *float32, ldy int, f int, c *float32, ldc int, run int,
	skip int) {
	panic("kernel: no assembly dot on this platform")
}

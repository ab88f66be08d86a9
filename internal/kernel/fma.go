package kernel

import "math"

// fma32 returns x*y+z rounded to float32. The product of two float32
// values is exact in float64, so this is the FMA instruction's single
// rounding except when the exact sum, rounded first to float64, lands on a
// float32 midpoint it was not on: about once in 2^29 terms, which is why
// the tests allow the assembly one rounding step of difference per tile.
func fma32(x, y, z float32) float32 {
	return float32(math.FMA(float64(x), float64(y), float64(z)))
}

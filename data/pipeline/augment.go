package pipeline

import "math/bits"

// augmentSalt separates the random crops and mirrors from anything else
// drawn from the same seed.
const augmentSalt = 0x63726f702f6d6972 // "crop/mir"

// golden is 2^64 divided by the golden ratio, SplitMix64's increment.
const golden = 0x9e3779b97f4a7c15

// augment returns the random choices for sample index in epoch: the crop's
// top-left corner (oy, ox) in the padded image and whether to mirror.
//
// They are a counter-based hash of (seed, epoch, index), with no random
// generator state, so any thread can compute any sample's choices, in any
// order, and a resumed run computes the ones the uninterrupted run used.
func augment(seed uint64, epoch int, index int32, offsetsY, offsetsX int) (oy, ox int,
	mirror bool) {

	h := mix64(seed ^ augmentSalt)
	h = mix64(h ^ uint64(epoch))
	h = mix64(h ^ uint64(uint32(index)))

	// Three words of the SplitMix64 sequence that starts at h.
	h += golden
	oy = bounded(mix64(h), offsetsY)
	h += golden
	ox = bounded(mix64(h), offsetsX)
	h += golden
	mirror = mix64(h)>>63 == 1
	return oy, ox, mirror
}

// mix64 is SplitMix64's finaliser: a bijection of 64-bit words whose output
// bits each depend on every input bit.
func mix64(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// bounded maps a uniform 64-bit word to [0, n) by multiplication; the bias
// is below n/2^64, nothing for crop offsets.
func bounded(x uint64, n int) int {
	hi, _ := bits.Mul64(x, uint64(n))
	return int(hi)
}

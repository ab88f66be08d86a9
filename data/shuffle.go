package data

import (
	"math/bits"
	"math/rand/v2"
)

// permute sets perm to the order in which epoch visits the samples of a
// shuffled dataset. It depends on nothing but (seed, epoch), so a resumed
// run recomputes exactly the order an uninterrupted run used.
//
// The shuffle is written out here rather than taken from math/rand/v2's
// Shuffle, whose algorithm is not promised to stay the same across Go
// releases; PCG's output is fixed by its definition.
func permute(perm []int32, seed uint64, epoch int) {
	for i := range perm {
		perm[i] = int32(i)
	}

	pcg := rand.NewPCG(seed, uint64(epoch))
	for i := len(perm) - 1; i > 0; i-- {
		j := boundedRandom(pcg, uint64(i)+1)
		perm[i], perm[j] = perm[j], perm[i]
	}
}

// boundedRandom returns a uniform number in [0, n) using Lemire's
// multiply-and-reject method, which has no modulo bias.
func boundedRandom(pcg *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(pcg.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(pcg.Uint64(), n)
		}
	}
	return hi
}

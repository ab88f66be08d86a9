package exchange

// Range is one partition of a buffer: the elements [Lo, Hi), whose sum
// member Owner completes during reduce-scatter, updates, and sends to the
// others during all-gather.
type Range struct {
	Lo, Hi int
	Owner  int
}

// Len is the number of elements of the partition.
func (r Range) Len() int { return r.Hi - r.Lo }

// split cuts n elements into len(owners) contiguous partitions in buffer
// order, partition k owned by owners[k], and appends them to dst. Sizes
// differ by at most one; the first n mod k partitions are the longer
// ones, and when n < k the last partitions are empty.
func split(dst []Range, n int, owners []int) []Range {
	k := len(owners)
	size, extra := n/k, n%k
	lo := 0
	for i, owner := range owners {
		hi := lo + size
		if i < extra {
			hi++
		}
		dst = append(dst, Range{Lo: lo, Hi: hi, Owner: owner})
		lo = hi
	}
	return dst
}

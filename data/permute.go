package data

// Permute sets perm to the order in which a shuffled [Loader] with this
// seed visits the samples of a dataset of len(perm) samples in the given
// epoch: perm[k] is the index of the k-th sample visited. It depends on
// nothing but (seed, epoch, len(perm)), so other readers of the same files,
// such as the input pipeline, can visit them in exactly the Loader's order.
func Permute(perm []int32, seed uint64, epoch int) {
	permute(perm, seed, epoch)
}

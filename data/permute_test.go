package data

import (
	"testing"

	"github.com/mariana-dl/mariana/tensor"
)

// TestPermuteIsLoaderOrder wants Permute to give the order in which a
// shuffled Loader visits the samples, epoch by epoch.
func TestPermuteIsLoaderOrder(t *testing.T) {
	const n = 37
	set := indexSet(t, n)
	loader, err := NewLoader(set, LoaderConfig{BatchSize: n, Shuffle: true, Seed: 12})
	if err != nil {
		t.Fatal(err)
	}
	perm := make([]int32, n)
	var x, labels tensor.Tensor
	moved := 0
	for epoch := range 3 {
		loader.Next(&x, &labels)
		Permute(perm, 12, epoch)
		got := batchIndices(t, &x, &labels)
		for i, index := range got {
			if int32(index) != perm[i] {
				t.Fatalf("epoch %d: the loader visits %v, Permute says %v", epoch, got, perm)
			}
			if int(perm[i]) != i {
				moved++
			}
		}
	}
	if moved < n {
		t.Errorf("only %d of 3×%d samples moved: not shuffled", moved, n)
	}
}

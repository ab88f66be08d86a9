package data

import (
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/mariana-dl/mariana/tensor"
)

// indexSet returns n images of shape 2×2×3 where every pixel of image i is
// i mod 256 and the label is i mod 10, so a batch shows which samples it
// holds.
func indexSet(t testing.TB, n int) *ImageSet {
	t.Helper()
	shape := tensor.Shape{2, 2, 3}
	pix := make([]uint8, n*shape.Size())
	labels := make([]uint8, n)
	for i := range n {
		for j := range shape.Size() {
			pix[i*shape.Size()+j] = byte(i)
		}
		labels[i] = byte(i % 10)
	}
	set, err := NewImageSet(shape, 10, pix, labels)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// batchIndices returns the sample indices in a batch of indexSet, checking
// that every value of a sample agrees and that the label matches.
func batchIndices(t *testing.T, x, labels *tensor.Tensor) []int {
	t.Helper()
	n := x.Batch()
	if !labels.Shape.Equal([]int{n, 1}) || !x.Shape.Equal([]int{n, 2, 2, 3}) {
		t.Fatalf("shapes x %v labels %v", x.Shape, labels.Shape)
	}
	out := make([]int, n)
	for i := range n {
		row := x.Data[i*12 : (i+1)*12]
		index := int(row[0]*255 + 0.5)
		for _, v := range row {
			if v != row[0] {
				t.Fatalf("sample %d of the batch mixes values: %v", i, row)
			}
		}
		if labels.Data[i] != float32(index%10) {
			t.Fatalf("sample %d of the batch is image %d with label %v", i, index,
				labels.Data[i])
		}
		out[i] = index
	}
	return out
}

func TestLoaderSequential(t *testing.T) {
	set := indexSet(t, 10)
	for _, c := range []struct {
		dropLast bool
		perEpoch int
		batches  [][]int
	}{
		{false, 3, [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}, {0, 1, 2, 3}}},
		{true, 2, [][]int{{0, 1, 2, 3}, {4, 5, 6, 7}, {0, 1, 2, 3}, {4, 5, 6, 7}}},
	} {
		l, err := NewLoader(set, LoaderConfig{BatchSize: 4, DropLast: c.dropLast})
		if err != nil {
			t.Fatal(err)
		}
		if l.BatchesPerEpoch() != c.perEpoch {
			t.Fatalf("drop last %v: %d batches per epoch, want %d", c.dropLast,
				l.BatchesPerEpoch(), c.perEpoch)
		}
		x, labels := new(tensor.Tensor), new(tensor.Tensor)
		for k, want := range c.batches {
			pos := l.Next(x, labels)
			if got := batchIndices(t, x, labels); !slices.Equal(got, want) {
				t.Errorf("drop last %v: batch %d (%v) holds %v, want %v", c.dropLast, k, pos,
					got, want)
			}
		}
	}
}

func TestLoaderShuffle(t *testing.T) {
	const n = 103
	set := indexSet(t, n)
	epochOrder := func(seed uint64, epoch int) []int {
		l, err := NewLoader(set, LoaderConfig{BatchSize: 10, Shuffle: true, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Seek(Position{Epoch: epoch}); err != nil {
			t.Fatal(err)
		}
		x, labels := new(tensor.Tensor), new(tensor.Tensor)
		var order []int
		for range l.BatchesPerEpoch() {
			l.Next(x, labels)
			order = append(order, batchIndices(t, x, labels)...)
		}
		if l.Position() != (Position{Epoch: epoch + 1}) {
			t.Fatalf("after an epoch the position is %v", l.Position())
		}
		return order
	}

	a := epochOrder(7, 0)
	sorted := slices.Sorted(slices.Values(a))
	for i, v := range sorted {
		if v != i {
			t.Fatalf("epoch 0 does not visit every sample once: %v", sorted)
		}
	}
	if slices.Equal(a, sorted) {
		t.Error("shuffled order is the identity")
	}
	if !slices.Equal(a, epochOrder(7, 0)) {
		t.Error("the same seed and epoch gave two orders")
	}
	if slices.Equal(a, epochOrder(7, 1)) {
		t.Error("epochs 0 and 1 share an order")
	}
	if slices.Equal(a, epochOrder(8, 0)) {
		t.Error("seeds 7 and 8 share an order")
	}
}

// The permutation is part of the checkpoint format in effect: a resumed
// run must see the same order after an upgrade. The expected order was
// computed by a separate Python implementation of PCG-DXSM (128-bit LCG
// with Go's constants), Lemire's bounded draw and Fisher-Yates from the end.
func TestPermuteIsPinned(t *testing.T) {
	perm := make([]int32, 10)
	permute(perm, 42, 3)
	want := []int32{9, 3, 2, 1, 6, 5, 4, 0, 8, 7}
	if !slices.Equal(perm, want) {
		t.Fatalf("permute(seed 42, epoch 3) = %v, want %v", perm, want)
	}
}

// A run resumed from any position must deliver exactly what an
// uninterrupted run delivers from there, across epoch boundaries, with
// shuffling and a dropped partial batch.
func TestLoaderResume(t *testing.T) {
	set := indexSet(t, 23)
	cfg := LoaderConfig{BatchSize: 5, Shuffle: true, Seed: 99, DropLast: true, Threads: 2}
	full, err := NewLoader(set, cfg)
	if err != nil {
		t.Fatal(err)
	}
	const steps = 17 // over four epochs of four batches
	var positions []Position
	var xs, ys [][]float32
	x, labels := new(tensor.Tensor), new(tensor.Tensor)
	for range steps {
		positions = append(positions, full.Position())
		full.Next(x, labels)
		xs = append(xs, slices.Clone(x.Data))
		ys = append(ys, slices.Clone(labels.Data))
	}

	for cut := range steps {
		// The position travels through its text form, as in a checkpoint.
		text, err := positions[cut].MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var pos Position
		if err := pos.UnmarshalText(text); err != nil {
			t.Fatal(err)
		}

		resumed, err := NewLoader(set, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := resumed.Seek(pos); err != nil {
			t.Fatal(err)
		}
		for k := cut; k < steps; k++ {
			if got := resumed.Next(x, labels); got != positions[k] {
				t.Fatalf("resumed at %d: step %d at %v, want %v", cut, k, got, positions[k])
			}
			if !slices.Equal(x.Data, xs[k]) || !slices.Equal(labels.Data, ys[k]) {
				t.Fatalf("resumed at %v: batch %d differs from the uninterrupted run",
					positions[cut], k)
			}
		}
	}
}

func TestLoaderParallelMatchesSerial(t *testing.T) {
	set := indexSet(t, 50)
	serial, _ := NewLoader(set, LoaderConfig{BatchSize: 16, Shuffle: true, Seed: 3})
	parallel, err := NewLoader(set, LoaderConfig{BatchSize: 16, Shuffle: true, Seed: 3,
		Threads: 3})
	if err != nil {
		t.Fatal(err)
	}
	x1, y1, x2, y2 := new(tensor.Tensor), new(tensor.Tensor), new(tensor.Tensor),
		new(tensor.Tensor)
	for range 9 {
		serial.Next(x1, y1)
		parallel.Next(x2, y2)
		if !slices.Equal(x1.Data, x2.Data) || !slices.Equal(y1.Data, y2.Data) {
			t.Fatal("parallel assembly differs from serial")
		}
	}
}

func TestLoaderDoesNotAllocate(t *testing.T) {
	set := indexSet(t, 37)
	l, err := NewLoader(set, LoaderConfig{BatchSize: 8, Shuffle: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	x, labels := new(tensor.Tensor), new(tensor.Tensor)
	l.Next(x, labels)
	// Over several epochs, so reshuffling and the short batch count too.
	if allocs := testing.AllocsPerRun(20, func() { l.Next(x, labels) }); allocs != 0 {
		t.Errorf("Next allocates %v times per batch", allocs)
	}
}

func TestLoaderErrors(t *testing.T) {
	set := indexSet(t, 10)
	for _, cfg := range []LoaderConfig{
		{BatchSize: 0},
		{BatchSize: 4, Threads: -1},
		{BatchSize: 11, DropLast: true},
	} {
		if _, err := NewLoader(set, cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: error %v, want ErrConfig", cfg, err)
		}
	}

	l, err := NewLoader(set, LoaderConfig{BatchSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Position{{Epoch: -1}, {Batch: -1}, {Batch: 3}} {
		if err := l.Seek(p); !errors.Is(err, ErrConfig) {
			t.Errorf("Seek(%v): error %v, want ErrConfig", p, err)
		}
	}
	if err := l.Seek(Position{Epoch: 5, Batch: 2}); err != nil {
		t.Errorf("Seek to the last batch: %v", err)
	}
}

func TestPositionText(t *testing.T) {
	p := Position{Epoch: 12, Batch: 345}
	text, _ := p.MarshalText()
	if string(text) != "12:345" || p.String() != "epoch 12 batch 345" {
		t.Errorf("text %q, string %q", text, p.String())
	}
	for _, bad := range []string{"", "12", "12:", ":3", "a:b", "-1:0", "1:-2", "1:2:3"} {
		var q Position
		if err := q.UnmarshalText([]byte(bad)); !errors.Is(err, ErrConfig) {
			t.Errorf("UnmarshalText(%q): error %v", bad, err)
		}
	}
}

func BenchmarkLoaderMNIST(b *testing.B) {
	train, _, err := LoadMNIST(goMNIST(b))
	if err != nil {
		b.Fatal(err)
	}
	if err := train.SetNormalize(MNISTNormalize); err != nil {
		b.Fatal(err)
	}
	for _, threads := range []int{1, 2} {
		b.Run("threads="+strconv.Itoa(threads), func(b *testing.B) {
			l, err := NewLoader(train, LoaderConfig{BatchSize: 128, Shuffle: true,
				DropLast: true, Threads: threads})
			if err != nil {
				b.Fatal(err)
			}
			x, labels := new(tensor.Tensor), new(tensor.Tensor)
			b.SetBytes(128 * 784)
			for b.Loop() {
				l.Next(x, labels)
			}
		})
	}
}

// Package exchangetest is a conformance suite for exchange transports and
// collectives. Run checks every algorithm over groups that a transport
// under test provides, against a float64 reference and against the sum
// order each algorithm documents, as gonum's testblas does for BLAS
// implementations.
package exchangetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/mariana-dl/mariana/exchange"
)

// NewGroup returns the transports of a new group of n members, indexed
// by rank, and arranges for them to be closed when t ends.
type NewGroup func(t testing.TB, n int) []exchange.Transport

// Sizes are the buffer lengths the suite exchanges: empty, smaller than
// the group, and lengths that no group size of 2 to 5 divides.
var Sizes = []int{0, 1, 2, 3, 7, 1001, 4099}

// Run runs the whole suite over groups of 1 to maxMembers members.
func Run(t *testing.T, newGroup NewGroup, maxMembers int) {
	for n := 1; n <= maxMembers; n++ {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			group := newGroup(t, n)
			for _, order := range orders(n) {
				for _, name := range exchange.Algorithms() {
					for _, ordered := range []bool{false, true} {
						cfg := exchange.Config{Algorithm: name, Order: order, Ordered: ordered}
						t.Run(fmt.Sprintf("%s/order=%v/ordered=%v", name, order, ordered),
							func(t *testing.T) { checkConfig(t, group, cfg) })
					}
				}
			}
			checkQueue(t, group)
		})
	}
}

// orders returns rank order and, for three or more members, a shuffled
// order, so that the suite sees the topology honoured.
func orders(n int) [][]int {
	id := make([]int, n)
	for i := range id {
		id[i] = i
	}
	if n < 3 {
		return [][]int{id}
	}
	shuffled := slices.Clone(id)
	rand.New(rand.NewPCG(uint64(n), 7)).Shuffle(n, func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	if slices.Equal(shuffled, id) {
		slices.Reverse(shuffled)
	}
	return [][]int{id, shuffled}
}

// checkConfig exchanges every size with one configuration.
func checkConfig(t *testing.T, group []exchange.Transport, cfg exchange.Config) {
	n := len(group)
	colls := make([]exchange.Collective, n)
	for r, tr := range group {
		c, err := exchange.New(tr, cfg)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		colls[r] = c
		defer c.Close()
	}

	for _, size := range Sizes {
		inputs := Inputs(n, size, uint64(size))

		// AllReduce: sums as documented, equal on every member.
		bufs := clones(inputs)
		runAll(t, colls, func(r int, c exchange.Collective) error { return c.AllReduce(bufs[r]) })
		want := documentedSum(cfg, n, inputs)
		checkSums(t, fmt.Sprintf("AllReduce of %d", size), bufs, inputs, want)
		if colls[0].Ordered() {
			checkBits(t, fmt.Sprintf("AllReduce of %d against rank-order sum", size),
				bufs[0], RankOrderSum(inputs))
		}

		// Reduce-scatter alone completes exactly the owned partitions.
		rs := clones(inputs)
		runAll(t, colls, func(r int, c exchange.Collective) error { return c.ReduceScatter(rs[r]) })
		for r, c := range colls {
			for _, part := range c.Partitions(size) {
				if part.Owner == r {
					checkBits(t, fmt.Sprintf("ReduceScatter of %d, rank %d, %v", size, r, part),
						rs[r][part.Lo:part.Hi], bufs[0][part.Lo:part.Hi])
				}
			}
		}

		checkExchange(t, colls, inputs, bufs[0])
	}
}

// checkExchange runs Exchange with an owner update that checks it sees
// exactly its partitions, summed, and writes new values there, which every
// member must end with.
func checkExchange(t *testing.T, colls []exchange.Collective, inputs [][]float32,
	sums []float32) {
	n, size := len(colls), len(sums)
	bufs := clones(inputs)
	seen := make([][]exchange.Range, n)
	var mu sync.Mutex
	var bad []string
	runAll(t, colls, func(r int, c exchange.Collective) error {
		return c.Exchange(bufs[r], func(part exchange.Range, data []float32) error {
			seen[r] = append(seen[r], part)
			if len(data) != part.Len() || &data[0] != &bufs[r][part.Lo] {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("rank %d: update of %v got %d values elsewhere",
					r, part, len(data)))
				mu.Unlock()
			}
			for i := range data {
				if math.Float32bits(data[i]) != math.Float32bits(sums[part.Lo+i]) {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("rank %d: update of %v: value %d is %v, sum %v",
						r, part, part.Lo+i, data[i], sums[part.Lo+i]))
					mu.Unlock()
					break
				}
			}
			for i := range data {
				data[i] = updated(sums[part.Lo+i], part.Lo+i)
			}
			return nil
		})
	})
	for _, msg := range bad {
		t.Error(msg)
	}

	for r, c := range colls {
		var want []exchange.Range
		for _, part := range c.Partitions(size) {
			if part.Owner == r && part.Len() > 0 {
				want = append(want, part)
			}
		}
		if !slices.Equal(seen[r], want) {
			t.Errorf("Exchange of %d: rank %d updated %v, owns %v", size, r, seen[r], want)
		}
		for i, v := range bufs[r] {
			if w := updated(sums[i], i); math.Float32bits(v) != math.Float32bits(w) {
				t.Fatalf("Exchange of %d: rank %d value %d = %v, owner wrote %v", size, r, i, v, w)
			}
		}
	}
}

// updated is what the test's owner update writes for sum at index i.
func updated(sum float32, i int) float32 { return -0.5*sum + float32(i%7) }

// checkQueue starts segments of several sizes on every member at once and
// checks each against an AllReduce of the same data.
func checkQueue(t *testing.T, group []exchange.Transport) {
	n := len(group)
	sizes := []int{5, 1000, 0, 333, 4099}
	colls := make([]exchange.Collective, n)
	for r, tr := range group {
		c, err := exchange.New(tr, exchange.Config{Algorithm: exchange.Ring})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		colls[r] = c
		defer c.Close()
	}

	segs := make([][][]float32, len(sizes)) // segs[segment][rank]
	for i, size := range sizes {
		segs[i] = Inputs(n, size, uint64(100+i))
	}
	want := make([][][]float32, len(sizes))
	for i := range sizes {
		want[i] = clones(segs[i])
		runAll(t, colls, func(r int, c exchange.Collective) error {
			return c.AllReduce(want[i][r])
		})
	}

	runAll(t, colls, func(r int, c exchange.Collective) error {
		q := exchange.NewQueue(c, 2)
		handles := make([]exchange.Handle, len(sizes))
		for i := range sizes {
			handles[i] = q.Start(segs[i][r], nil)
		}
		for i := len(handles) - 1; i >= 0; i-- {
			if err := handles[i].Wait(); err != nil {
				return err
			}
		}
		return q.Close()
	})
	for i := range sizes {
		for r := range n {
			checkBits(t, fmt.Sprintf("queued segment %d, rank %d", i, r), segs[i][r], want[i][r])
		}
	}
}

// runAll calls fn for every member at once and fails t on any error.
func runAll(t testing.TB, colls []exchange.Collective,
	fn func(r int, c exchange.Collective) error) {
	t.Helper()
	errs := make([]error, len(colls))
	var wg sync.WaitGroup
	for r, c := range colls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[r] = fn(r, c)
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
}

// Inputs returns n members' buffers of size values: random signs and
// magnitudes over six decades, so that the grouping of additions shows in
// the low bits of the sums.
func Inputs(n, size int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	in := make([][]float32, n)
	for r := range in {
		in[r] = make([]float32, size)
		for i := range in[r] {
			in[r][i] = float32((rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(7)-3)))
		}
	}
	return in
}

// RankOrderSum is the serial float32 sum ((x0 + x1) + x2) + ... .
func RankOrderSum(inputs [][]float32) []float32 {
	sum := slices.Clone(inputs[0])
	for _, in := range inputs[1:] {
		for i := range sum {
			sum[i] += in[i]
		}
	}
	return sum
}

// documentedSum computes, in float32, the sums in the order each
// algorithm's documentation gives, so that the suite holds the
// implementation to its documentation bit for bit.
func documentedSum(cfg exchange.Config, n int, inputs [][]float32) []float32 {
	if cfg.Ordered || cfg.Algorithm == exchange.Central || n == 1 {
		return RankOrderSum(inputs)
	}
	order := cfg.Order
	size := len(inputs[0])
	x := func(pos, i int) float32 { return inputs[order[((pos%n)+n)%n]][i] }
	sum := make([]float32, size)

	switch cfg.Algorithm {
	case exchange.Tree:
		var subtree func(p, i int) float32
		subtree = func(p, i int) float32 {
			s := x(p, i)
			for c := 2*p + 1; c <= 2*p+2 && c < n; c++ {
				s += subtree(c, i)
			}
			return s
		}
		for i := range sum {
			sum[i] = subtree(0, i)
		}
		return sum
	}

	// Chain and ring: partition k is owned by position k.
	parts := exchangeParts(size, n)
	for k, part := range parts {
		for i := part[0]; i < part[1]; i++ {
			switch cfg.Algorithm {
			case exchange.Chain:
				s := x(k, i)
				if k > 0 {
					left := x(0, i)
					for p := 1; p < k; p++ {
						left += x(p, i)
					}
					s += left
				}
				if k < n-1 {
					right := x(n-1, i)
					for p := n - 2; p > k; p-- {
						right += x(p, i)
					}
					s += right
				}
				sum[i] = s
			case exchange.Ring:
				s := x(k+1, i)
				for p := k + 2; p <= k+n; p++ {
					s += x(p, i)
				}
				sum[i] = s
			}
		}
	}
	return sum
}

// exchangeParts is the documented partitioning: n contiguous partitions,
// the first size mod n one value longer.
func exchangeParts(size, n int) [][2]int {
	parts := make([][2]int, n)
	lo := 0
	for k := range parts {
		hi := lo + size/n
		if k < size%n {
			hi++
		}
		parts[k] = [2]int{lo, hi}
		lo = hi
	}
	return parts
}

// checkSums checks that every member has the same bits, equal to want,
// and that want is within float32 rounding of the float64 sum.
func checkSums(t testing.TB, what string, bufs, inputs [][]float32, want []float32) {
	t.Helper()
	for r := range bufs {
		checkBits(t, fmt.Sprintf("%s, rank %d", what, r), bufs[r], want)
	}
	for i := range want {
		var exact, mag float64
		for _, in := range inputs {
			exact += float64(in[i])
			mag += math.Abs(float64(in[i]))
		}
		tol := float64(len(inputs)) * 0x1p-23 * mag
		if math.Abs(float64(want[i])-exact) > tol {
			t.Fatalf("%s: value %d = %v, float64 sum %v (tolerance %g)",
				what, i, want[i], exact, tol)
		}
	}
}

// checkBits fails t unless got and want are equal bit for bit.
func checkBits(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: value %d = %v (%#08x), want %v (%#08x)", what, i,
				got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func clones(in [][]float32) [][]float32 {
	out := make([][]float32, len(in))
	for i := range in {
		out[i] = slices.Clone(in[i])
	}
	return out
}

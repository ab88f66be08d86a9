package blastest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/mariana-dl/mariana/blas"
)

// shape is the size of one product: C is m×n and k is the inner dimension.
type shape struct{ m, n, k int }

func (s shape) String() string { return fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k) }

// scalars are the alpha and beta of one product.
type scalars struct{ alpha, beta float32 }

// transposes are the four ways of combining op(A) and op(B).
var transposes = []struct {
	name   string
	tA, tB blas.Transpose
}{
	{"NN", blas.NoTrans, blas.NoTrans},
	{"NT", blas.NoTrans, blas.Trans},
	{"TN", blas.Trans, blas.NoTrans},
	{"TT", blas.Trans, blas.Trans},
}

// shapes run in every transpose combination and layout. The small ones have
// odd sizes that leave partial register blocks at every edge; the larger
// ones, from about 1 to 40 million floating-point operations, are square,
// tall, wide with few rows, and long in k, so that the products an
// implementation splits among threads (by rows or by columns) and those it
// keeps whole are all exercised.
var shapes = []shape{
	{1, 1, 1}, {1, 7, 3}, {5, 1, 4}, {3, 5, 1}, {2, 3, 4}, {7, 5, 3},
	{13, 17, 19}, {31, 33, 29}, {1, 40, 70}, {65, 3, 33}, {16, 16, 16},
	{64, 64, 64}, {100, 90, 80}, {127, 129, 131},
	{128, 128, 128}, {257, 129, 70}, {300, 100, 100}, {160, 300, 160},
	{20, 1000, 200}, {5, 2000, 300}, {47, 513, 250}, {1000, 24, 200},
	{17, 33, 4000}, {255, 257, 300},
}

// shapeScalars are the alpha and beta every shape is run with: beta = 0 over
// a C full of NaN, and a general combination.
var shapeScalars = []scalars{{1, 0}, {-0.75, 1.25}}

// scalarShapes run with every combination of [allScalars].
var scalarShapes = []shape{{3, 4, 5}, {33, 31, 17}, {150, 140, 130}}

// allScalars covers alpha and beta of 0, 1 and other values, of both signs.
var allScalars = []scalars{
	{1, 0}, {1, 1}, {0, 0}, {0, 1.5}, {-0.5, 0}, {2.5, -1}, {1, 0.5}, {-1, 1},
}

// emptyShapes have m, n or k of 0. With k = 0 the product is beta·C.
var emptyShapes = []shape{{0, 5, 3}, {4, 0, 3}, {4, 5, 0}, {0, 0, 0}, {0, 0, 4}, {1, 1, 0}}

// TestSgemm checks impl's Sgemm against a float64 reference; the package
// documentation lists what it covers. Call it from the implementation's own
// tests, once for each thread count worth covering.
func TestSgemm(t *testing.T, impl blas.Impl) {
	t.Run("shapes", func(t *testing.T) { runShapes(t, impl, shapes, shapeScalars) })
	t.Run("scalars", func(t *testing.T) { runShapes(t, impl, scalarShapes, allScalars) })
	t.Run("empty", func(t *testing.T) {
		runShapes(t, impl, emptyShapes, []scalars{{1, 0}, {1, 2}})
	})
	t.Run("panics", func(t *testing.T) { testPanics(t, impl) })
	t.Run("concurrent", func(t *testing.T) { testConcurrent(t, impl) })
}

// runShapes runs every shape in every transpose combination and layout with
// every pair of scalars, in one subtest per shape.
func runShapes(t *testing.T, impl blas.Impl, shapes []shape, scalars []scalars) {
	for _, s := range shapes {
		t.Run(s.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(s.m), uint64(s.n*10000+s.k)))
			for _, tr := range transposes {
				ops := newOperands(rng, tr.tA, tr.tB, s)
				for _, lay := range layouts {
					for _, sc := range scalars {
						if err := ops.run(impl, rng, lay, sc); err != nil {
							t.Errorf("%s %s %s alpha=%g beta=%g: %v", impl.Name(), tr.name,
								lay.name, sc.alpha, sc.beta, err)
						}
					}
				}
			}
		})
	}
}

// operands are the random values of op(A) and op(B) for one product, as
// stored (transposed where tA or tB say), with their reference product.
type operands struct {
	tA, tB blas.Transpose
	s      shape
	a, b   []float32
	ref    reference
}

// newOperands draws the operands of an s-shaped product.
func newOperands(rng *rand.Rand, tA, tB blas.Transpose, s shape) *operands {
	o := &operands{tA: tA, tB: tB, s: s}
	ar, ac, br, bc := o.dims()
	o.a = randomDense(rng, ar, ac)
	o.b = randomDense(rng, br, bc)
	o.ref = newReference(tA, tB, blas.Matrix(ar, ac, o.a), blas.Matrix(br, bc, o.b))
	return o
}

// dims returns the stored rows and columns of A and B.
func (o *operands) dims() (ar, ac, br, bc int) {
	ar, ac = o.s.m, o.s.k
	if o.tA {
		ar, ac = ac, ar
	}
	br, bc = o.s.k, o.s.n
	if o.tB {
		br, bc = bc, br
	}
	return ar, ac, br, bc
}

// run computes the product with impl, stored as lay says, over a random C,
// and returns how the outcome differs from the reference, or nil.
func (o *operands) run(impl blas.Impl, rng *rand.Rand, lay layout, sc scalars) error {
	ar, ac, br, bc := o.dims()
	nan := float32(math.NaN())
	a := store(o.a, ar, ac, lay.pad, nan)
	b := store(o.b, br, bc, lay.pad, nan)

	// With beta = 0 the old C must not matter, even when it is NaN.
	c0 := randomDense(rng, o.s.m, o.s.n)
	if sc.beta == 0 {
		for i := range c0 {
			c0[i] = nan
		}
	}
	c := store(c0, o.s.m, o.s.n, lay.pad, cSentinel)

	aBits, bBits := snapshot(a.Data), snapshot(b.Data)
	impl.Sgemm(o.tA, o.tB, sc.alpha, a, b, sc.beta, c)

	if i := sameBits(a.Data, aBits); i >= 0 {
		return fmt.Errorf("A's storage changed at %d", i)
	}
	if i := sameBits(b.Data, bBits); i >= 0 {
		return fmt.Errorf("B's storage changed at %d", i)
	}
	return o.ref.check(sc.alpha, sc.beta, c0, c)
}

// testPanics checks that shapes which disagree, and views whose Data is too
// short for their Rows, Cols and Stride or whose Stride is below Cols,
// panic instead of computing.
func testPanics(t *testing.T, impl blas.Impl) {
	m := func(rows, cols int) blas.General {
		return blas.Matrix(rows, cols, make([]float32, rows*cols))
	}
	short := m(4, 3)
	short.Data = short.Data[:len(short.Data)-1]
	narrow := m(4, 3)
	narrow.Stride = 2

	cases := []struct {
		name    string
		tA, tB  blas.Transpose
		a, b, c blas.General
	}{
		{"inner dimensions differ", blas.NoTrans, blas.NoTrans, m(2, 3), m(4, 5), m(2, 5)},
		{"C has wrong rows", blas.NoTrans, blas.NoTrans, m(2, 3), m(3, 5), m(3, 5)},
		{"C has wrong columns", blas.Trans, blas.NoTrans, m(3, 2), m(3, 5), m(2, 4)},
		{"transpose ignored", blas.NoTrans, blas.Trans, m(2, 3), m(3, 5), m(2, 5)},
		{"A too short", blas.NoTrans, blas.NoTrans, short, m(3, 5), m(4, 5)},
		{"B too short", blas.NoTrans, blas.Trans, m(2, 3), short, m(2, 4)},
		{"C too short", blas.NoTrans, blas.NoTrans, m(4, 2), m(2, 3), short},
		{"A stride below cols", blas.NoTrans, blas.NoTrans, narrow, m(3, 5), m(4, 5)},
	}
	for _, tc := range cases {
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			impl.Sgemm(tc.tA, tc.tB, 1, tc.a, tc.b, 0, tc.c)
			return false
		}()
		if !panicked {
			t.Errorf("%s: %s did not panic", impl.Name(), tc.name)
		}
	}
}

// testConcurrent runs products on one Impl from several goroutines at once,
// as the devices of a machine do with theirs, and checks every result.
func testConcurrent(t *testing.T, impl blas.Impl) {
	const goroutines, rounds = 4, 6
	work := []shape{{37, 41, 43}, {130, 150, 110}, {20, 600, 200}}

	errs := make([]error, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for r := range rounds {
				tr := transposes[(g+r)%len(transposes)]
				s := work[(g+r)%len(work)]
				ops := newOperands(rng, tr.tA, tr.tB, s)
				if err := ops.run(impl, rng, layouts[r%2], shapeScalars[g%2]); err != nil {
					errs[g] = fmt.Errorf("goroutine %d, %s %s: %w", g, tr.name, s, err)
					return
				}
			}
		}()
	}
	wg.Wait()

	for _, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", impl.Name(), err)
		}
	}
}

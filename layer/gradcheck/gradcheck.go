package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// Reference computes a layer's output for a whole batch, in float64,
// straight from the layer's definition. in[i] holds input i of every sample,
// laid out as the layer's tensor (batch × sample length, row-major), and
// params[j] the value of the layer's Params()[j]. It returns the output,
// batch × output sample length. It must not keep or modify its arguments.
type Reference func(in, params [][]float64) []float64

// Generator fills data, input number input of a batch, with test values
// drawn from rng. Layers with kinks (ReLU, max pooling) use one to keep
// values away from them; loss layers use one to make valid labels.
type Generator func(input int, data []float32, rng *rand.Rand)

// Tolerance says when a float32 result a agrees with a float64 reference r:
// |a - r| <= Abs + Rel*|r|.
type Tolerance struct {
	Abs, Rel float64
}

// DefaultTolerance suits float32 layers whose outputs and gradients are of
// order one.
var DefaultTolerance = Tolerance{Abs: 1e-4, Rel: 1e-3}

// Case is one gradient check.
type Case struct {
	// Layer is the layer under test, not yet set up.
	Layer layer.Layer

	// In are the per-sample input shapes given to Setup.
	In []tensor.Shape

	// Batch is the number of samples; default 4.
	Batch int

	// Reference is the float64 forward the layer is checked against.
	Reference Reference

	// NoGrad lists the inputs that take no gradient, such as labels:
	// Backward always gets a nil dIn for them.
	NoGrad []int

	// Gen fills the inputs; default uniform in [-1, 1).
	Gen Generator

	// KeepParams keeps the values Init gave the parameters. By default
	// they are replaced by uniform values in [-1, 1), so that a bias that
	// starts at zero is still checked.
	KeepParams bool

	// Tol is the tolerance of the forward and gradient comparisons; the
	// zero value means DefaultTolerance.
	Tol Tolerance

	// Context, when set, gives Train's companions: Step and SampleOffset
	// (BLAS, SerialBLAS and Threads too, when set). Check always trains.
	Context *layer.Context

	// Seed seeds the inputs, the parameters, r and the element samples,
	// and is given to Init; default 1.
	Seed uint64

	// MaxElems is how many elements of each tensor are checked against
	// the numeric gradient, a seeded sample when the tensor is larger;
	// default 300.
	MaxElems int

	// MaxAllocs is how many allocations a warm Forward plus Backward may
	// make with one thread; default 0.
	MaxAllocs int
}

// eps is the central-difference step, relative to the element's size; in
// float64 it balances truncation (eps²) against rounding (1e-16/eps).
const eps = 1e-6

// Check runs every check of the package doc on c and reports failures on t.
// It must not run in a parallel test: the allocation count is process-wide.
func Check(t testing.TB, c Case) {
	t.Helper()
	k := newChecker(t, c)
	if k == nil {
		return
	}

	first := k.run(k.context(1), k.dIn)
	k.checkForward(first)
	k.checkGradients(first)
	k.checkSkip(first)
	k.checkThreads(first)
	k.checkSingleSamples(first)
	k.checkAllocs()
}

// checker holds the state of one Check: the set-up layer, its buffers and
// the fixed random values.
type checker struct {
	t      testing.TB
	c      Case
	l      layer.Layer
	params []*layer.Param
	shape  tensor.Shape // per-sample output shape
	noGrad []bool

	in   []*tensor.Tensor
	out  *tensor.Tensor
	dOut *tensor.Tensor // r, the weights of the objective
	dIn  []*tensor.Tensor
	rng  *rand.Rand
}

// result is what one Forward and Backward produced, copied out.
type result struct {
	out   []float32
	dIn   [][]float32 // nil where no gradient was asked for
	grads [][]float32
}

func newChecker(t testing.TB, c Case) *checker {
	t.Helper()
	if c.Batch <= 0 {
		c.Batch = 4
	}
	if c.Gen == nil {
		c.Gen = Uniform
	}
	if c.Tol == (Tolerance{}) {
		c.Tol = DefaultTolerance
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.MaxElems <= 0 {
		c.MaxElems = 300
	}
	k := &checker{t: t, c: c, l: c.Layer, noGrad: make([]bool, len(c.In))}
	k.rng = rand.New(rand.NewPCG(c.Seed, 0x9e3779b97f4a7c15))
	for _, i := range c.NoGrad {
		k.noGrad[i] = true
	}

	shape, err := k.l.Setup(c.In)
	if err != nil {
		t.Fatalf("%s: Setup(%v): %v", k.l.Name(), c.In, err)
		return nil
	}
	k.shape = shape
	k.params = k.l.Params()
	k.checkInit()
	if !c.KeepParams {
		for _, p := range k.params {
			Uniform(0, p.Value.Data, k.rng)
		}
	}

	for i, s := range c.In {
		k.in = append(k.in, tensor.New(s.WithBatch(c.Batch)...))
		c.Gen(i, k.in[i].Data, k.rng)
		d := tensor.New(s.WithBatch(c.Batch)...)
		if k.noGrad[i] {
			d = nil
		}
		k.dIn = append(k.dIn, d)
	}
	k.out = &tensor.Tensor{}
	k.out.Resize(shape, c.Batch)
	k.dOut = &tensor.Tensor{}
	k.dOut.Resize(shape, c.Batch)
	Uniform(0, k.dOut.Data, k.rng)
	return k
}

// checkInit checks that Init is a pure function of its seed.
func (k *checker) checkInit() {
	init, ok := k.l.(layer.Initializer)
	if !ok {
		return
	}
	init.Init(k.c.Seed)
	var first [][]float32
	for _, p := range k.params {
		first = append(first, slices.Clone(p.Value.Data))
	}
	init.Init(k.c.Seed)
	for i, p := range k.params {
		if !slices.Equal(first[i], p.Value.Data) {
			k.t.Errorf("%s: Init(%d) twice gave different values", p.Name, k.c.Seed)
		}
		if !tensor.AllFinite(p.Value.Data) {
			k.t.Errorf("%s: Init gave non-finite values", p.Name)
		}
	}
}

// context returns a training context with the given thread count, built
// on c.Context.
func (k *checker) context(threads int) *layer.Context {
	ctx := NewContext(threads)
	if tpl := k.c.Context; tpl != nil {
		ctx.Step = tpl.Step
		ctx.SampleOffset = tpl.SampleOffset
		if tpl.BLAS != nil {
			ctx.BLAS = tpl.BLAS
		}
		if tpl.SerialBLAS != nil {
			ctx.SerialBLAS = tpl.SerialBLAS
		}
	}
	return ctx
}

// run does Forward and Backward with dOut = r into garbage-filled buffers
// and returns copies of what they wrote.
func (k *checker) run(ctx *layer.Context, dIn []*tensor.Tensor) result {
	k.t.Helper()
	inBefore := k.snapshotIn()
	fill(k.out.Data, float32(math.NaN()))
	k.l.Forward(ctx, k.in, k.out)
	k.checkUnchanged("Forward", "input", inBefore, k.in)

	for _, d := range dIn {
		if d != nil {
			fill(d.Data, float32(math.NaN()))
		}
	}
	for _, p := range k.params {
		fill(p.Grad.Data, float32(math.NaN()))
	}
	outBefore := slices.Clone(k.out.Data)
	k.l.Backward(ctx, k.in, k.out, k.dOut, dIn)
	k.checkUnchanged("Backward", "input", inBefore, k.in)
	if !slices.Equal(bits(outBefore), bits(k.out.Data)) {
		k.t.Errorf("%s: Backward modified its output", k.l.Name())
	}

	r := result{out: slices.Clone(k.out.Data), dIn: make([][]float32, len(dIn))}
	for i, d := range dIn {
		if d != nil {
			r.dIn[i] = slices.Clone(d.Data)
		}
	}
	for _, p := range k.params {
		r.grads = append(r.grads, slices.Clone(p.Grad.Data))
	}
	return r
}

func (k *checker) snapshotIn() [][]float32 {
	s := make([][]float32, len(k.in))
	for i, x := range k.in {
		s[i] = slices.Clone(x.Data)
	}
	return s
}

func (k *checker) checkUnchanged(op, what string, before [][]float32, now []*tensor.Tensor) {
	k.t.Helper()
	for i := range before {
		if !slices.Equal(bits(before[i]), bits(now[i].Data)) {
			k.t.Errorf("%s: %s modified %s %d", k.l.Name(), op, what, i)
		}
	}
}

// float64s returns the reference's view of the inputs and parameters.
func (k *checker) float64s() (in, params [][]float64) {
	for _, x := range k.in {
		in = append(in, widen(x.Data))
	}
	for _, p := range k.params {
		params = append(params, widen(p.Value.Data))
	}
	return in, params
}

func (k *checker) checkForward(got result) {
	k.t.Helper()
	in, params := k.float64s()
	want := k.c.Reference(in, params)
	if len(want) != len(got.out) {
		k.t.Fatalf("%s: reference gave %d outputs, layer %d (shape %v)",
			k.l.Name(), len(want), len(got.out), k.out.Shape)
	}
	k.compare("output", got.out, want, nil)
}

// checkGradients compares Backward with the numeric gradient of
// L = Σ r·out, taken through the reference.
func (k *checker) checkGradients(got result) {
	k.t.Helper()
	in, params := k.float64s()
	r := widen(k.dOut.Data)
	objective := func() float64 {
		out := k.c.Reference(in, params)
		var l float64
		for i, v := range out {
			l += r[i] * v
		}
		return l
	}

	numeric := func(x []float64, idx []int) []float64 {
		g := make([]float64, len(idx))
		for n, j := range idx {
			saved := x[j]
			h := eps * max(1, math.Abs(saved))
			x[j] = saved + h
			plus := objective()
			x[j] = saved - h
			minus := objective()
			x[j] = saved
			g[n] = (plus - minus) / (2 * h)
		}
		return g
	}

	for i := range in {
		if k.noGrad[i] {
			continue
		}
		idx := k.sample(len(in[i]))
		k.compare(fmt.Sprintf("gradient of input %d", i), got.dIn[i],
			numeric(in[i], idx), idx)
	}
	for j, p := range k.params {
		idx := k.sample(len(params[j]))
		k.compare("gradient of "+p.Name, got.grads[j], numeric(params[j], idx), idx)
	}
}

// sample returns the indices of a tensor of n elements to check.
func (k *checker) sample(n int) []int {
	if n <= k.c.MaxElems {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	idx := k.rng.Perm(n)[:k.c.MaxElems]
	slices.Sort(idx)
	return idx
}

// compare checks got[idx[n]] against want[n] (got[n] when idx is nil) and
// reports the first few disagreements.
func (k *checker) compare(what string, got []float32, want []float64, idx []int) {
	k.t.Helper()
	bad := 0
	for n, w := range want {
		j := n
		if idx != nil {
			j = idx[n]
		}
		g := float64(got[j])
		if math.Abs(g-w) <= k.c.Tol.Abs+k.c.Tol.Rel*math.Abs(w) {
			continue
		}
		bad++
		if bad <= 5 {
			k.t.Errorf("%s: %s[%d] = %.7g, reference %.7g", k.l.Name(), what, j, g, w)
		}
	}
	if bad > 5 {
		k.t.Errorf("%s: %s: %d of %d elements disagree", k.l.Name(), what, bad, len(want))
	}
}

// checkSkip runs Backward with no gradient wanted for input 0, then for no
// input, and checks that the other gradients come out as before.
func (k *checker) checkSkip(first result) {
	k.t.Helper()
	dIn := slices.Clone(k.dIn)
	dIn[0] = nil
	k.sameGrads("Backward with dIn[0] nil", first, k.run(k.context(1), dIn))
	if len(k.params) > 0 {
		none := make([]*tensor.Tensor, len(k.dIn))
		k.sameGrads("Backward with every dIn nil", first, k.run(k.context(1), none))
	}
}

// sameGrads checks that b's gradients are a's, bit for bit, where b has
// them.
func (k *checker) sameGrads(what string, a, b result) {
	k.t.Helper()
	for i := range b.dIn {
		if b.dIn[i] != nil && !slices.Equal(bits(a.dIn[i]), bits(b.dIn[i])) {
			k.t.Errorf("%s: %s: gradient of input %d changed", k.l.Name(), what, i)
		}
	}
	for j, p := range k.params {
		if !slices.Equal(bits(a.grads[j]), bits(b.grads[j])) {
			k.t.Errorf("%s: %s: gradient of %s changed", k.l.Name(), what, p.Name)
		}
	}
}

// checkThreads checks that three threads compute what one does, bit for
// bit, so that a run's results do not depend on the machine's cores.
func (k *checker) checkThreads(first result) {
	k.t.Helper()
	three := k.run(k.context(3), k.dIn)
	if !slices.Equal(bits(first.out), bits(three.out)) {
		k.t.Errorf("%s: output with 3 threads differs from 1 thread", k.l.Name())
	}
	k.sameGrads("3 threads", first, three)
}

// checkSingleSamples runs the first and the last sample alone, at their
// global sample offsets, and compares them with the batch's outputs; then
// it runs the whole batch again, which must reproduce the first run after
// the layer's scratch has seen another batch size.
func (k *checker) checkSingleSamples(first result) {
	k.t.Helper()
	per := k.shape.Size()
	out := &tensor.Tensor{}
	for _, s := range []int{0, k.c.Batch - 1} {
		ctx := k.context(1)
		ctx.SampleOffset += s
		in := make([]*tensor.Tensor, len(k.in))
		for i, x := range k.in {
			in[i] = x.Rows(s, s+1)
		}
		out.Resize(k.shape, 1)
		k.l.Forward(ctx, in, out)
		k.compare(fmt.Sprintf("output of sample %d alone", s), out.Data,
			widen(first.out[s*per:(s+1)*per]), nil)
	}

	again := k.run(k.context(1), k.dIn)
	if !slices.Equal(bits(first.out), bits(again.out)) {
		k.t.Errorf("%s: output changed after a run at batch size 1", k.l.Name())
	}
	k.sameGrads("after a run at batch size 1", first, again)
}

// checkAllocs counts the allocations of a warm Forward plus Backward.
func (k *checker) checkAllocs() {
	k.t.Helper()
	ctx := k.context(1)
	allocs := testing.AllocsPerRun(3, func() {
		k.l.Forward(ctx, k.in, k.out)
		k.l.Backward(ctx, k.in, k.out, k.dOut, k.dIn)
	})
	if int(allocs) > k.c.MaxAllocs {
		k.t.Errorf("%s: warm Forward+Backward made %v allocations, want at most %d",
			k.l.Name(), allocs, k.c.MaxAllocs)
	}
}

// Uniform is the default Generator: values uniform in [-1, 1).
func Uniform(_ int, data []float32, rng *rand.Rand) {
	for i := range data {
		data[i] = float32(2*rng.Float64() - 1)
	}
}

// Distinct is a Generator for layers with kinks: it fills data with a
// random permutation of n evenly spaced values in (-1, 1), 2/n apart and
// at least 1/n from zero, so that no ReLU sits at its kink and no max-pool
// window holds a tie within the central-difference step.
func Distinct(_ int, data []float32, rng *rand.Rand) {
	n := len(data)
	for i, j := range rng.Perm(n) {
		data[i] = float32((float64(j)+0.5)/float64(n)*2 - 1)
	}
}

func fill(x []float32, v float32) {
	for i := range x {
		x[i] = v
	}
}

func widen(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// bits lets NaN compare equal to itself in bit-for-bit comparisons.
func bits(x []float32) []uint32 {
	b := make([]uint32, len(x))
	for i, v := range x {
		b[i] = math.Float32bits(v)
	}
	return b
}

package gradcheck

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// square is a small layer for testing the checker itself:
// out = w·x² + b, with scalar parameters w and b. Each flaw field plants a
// bug that one of the checks must catch.
type square struct {
	w, b *layer.Param

	wrongForward  bool // out = w·x² (forgets b)
	wrongGradient bool // dx = w·x·dOut (forgets the 2)
	accumulate    bool // dw += instead of =
	clobberInput  bool // Forward squares x in place
	allocate      bool // a fresh scratch slice every Backward
	threadSkew    bool // the result depends on the thread count
	batchSkew     bool // the result depends on the batch size
}

func (s *square) Name() string { return "sq" }
func (s *square) Type() string { return "square" }

func (s *square) Setup(in []tensor.Shape) (tensor.Shape, error) {
	s.w = layer.NewParam("sq.w", 1, 1)
	s.b = layer.NewParam("sq.b", 0, 1)
	return in[0].Clone(), nil
}

func (s *square) Params() []*layer.Param { return []*layer.Param{s.w, s.b} }

func (s *square) Forward(ctx *layer.Context, in []*tensor.Tensor, out *tensor.Tensor) {
	w, b := s.w.Value.Data[0], s.b.Value.Data[0]
	if s.wrongForward {
		b = 0
	}
	if s.threadSkew && ctx.Threads > 1 {
		b += 1e-3
	}
	if s.batchSkew && in[0].Batch() == 1 {
		b += 1e-2
	}
	for i, x := range in[0].Data {
		out.Data[i] = w*x*x + b
		if s.clobberInput {
			in[0].Data[i] = x * x
		}
	}
}

var sink []float32

func (s *square) Backward(ctx *layer.Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
	dIn []*tensor.Tensor) {
	w := s.w.Value.Data[0]
	if s.allocate {
		sink = make([]float32, len(in[0].Data))
	}
	if !s.accumulate {
		s.w.Grad.Data[0], s.b.Grad.Data[0] = 0, 0
	}
	for i, x := range in[0].Data {
		s.w.Grad.Data[0] += x * x * dOut.Data[i]
		s.b.Grad.Data[0] += dOut.Data[i]
	}
	if dIn[0] == nil {
		return
	}
	two := float32(2)
	if s.wrongGradient {
		two = 1
	}
	for i, x := range in[0].Data {
		dIn[0].Data[i] = two * w * x * dOut.Data[i]
	}
}

// recorder collects what Check reports instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

// check runs Check on l and returns its reports.
func check(t *testing.T, l layer.Layer) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Check(r, Case{
			Layer: l,
			In:    []tensor.Shape{{2, 3}},
			Reference: func(in, params [][]float64) []float64 {
				out := make([]float64, len(in[0]))
				for i, x := range in[0] {
					out[i] = params[0][0]*x*x + params[1][0]
				}
				return out
			},
		})
	}()
	<-done
	return r.errs
}

func TestCorrectLayerPasses(t *testing.T) {
	if errs := check(t, &square{}); len(errs) > 0 {
		t.Fatalf("a correct layer failed:\n%s", strings.Join(errs, "\n"))
	}
}

func TestFlawsAreCaught(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    *square
		want string
	}{
		{"wrong forward", &square{wrongForward: true}, "sq: output["},
		{"wrong gradient", &square{wrongGradient: true}, "gradient of input 0["},
		{"accumulating grads", &square{accumulate: true}, "gradient of sq.w["},
		{"clobbered input", &square{clobberInput: true}, "Forward modified input 0"},
		{"allocation", &square{allocate: true}, "allocations"},
		{"thread-dependent", &square{threadSkew: true}, "3 threads"},
		{"batch-dependent", &square{batchSkew: true}, "sample 0 alone"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := check(t, tc.l)
			for _, e := range errs {
				if strings.Contains(e, tc.want) {
					return
				}
			}
			t.Errorf("no report containing %q; got:\n%s", tc.want, strings.Join(errs, "\n"))
		})
	}
}

func TestDistinctSpacesValues(t *testing.T) {
	data := make([]float32, 1000)
	Distinct(0, data, rand.New(rand.NewPCG(1, 2)))
	seen := map[float32]bool{}
	for _, v := range data {
		if v <= -1 || v >= 1 || v > -0.5e-3 && v < 0.5e-3 || seen[v] {
			t.Fatalf("bad or repeated value %v", v)
		}
		seen[v] = true
	}
}

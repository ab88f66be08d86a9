package optim

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/layer"
)

// step runs one update with the gradient of every parameter set to grad
// (one value per parameter) and returns the values after it.
func stepWith(s *Solver, step int64, params []*layer.Param, grads ...float32) {
	for i, p := range params {
		for j := range p.Grad.Data {
			p.Grad.Data[j] = grads[i]
		}
	}
	s.Update(step, params)
}

// The hand-computed tests use powers of two, so every intermediate value is
// exact in float32 and the results must match to the bit. The worked
// arithmetic is in the comments.

func TestSGDMomentumByHand(t *testing.T) {
	// lr 0.25, μ 0.5, weight decay 0.5. The weight decays (DecayMult 1);
	// the bias does not (DecayMult 0) and learns twice as fast (LRMult 2).
	s := mustNew(t, Config{Method: SGD, BaseLR: 0.25, Momentum: 0.5, WeightDecay: 0.5})
	w := param("fc.weight", 1, 1, 1)
	b := param("fc.bias", 2, 0, 1)
	params := []*layer.Param{w, b}

	// weight: g = 0.5 + 0.5·w; v = 0.5·v − 0.25·g; w += v
	//   0: g = 1;        v = −0.25;        w = 0.75
	//   1: g = 0.875;    v = −0.34375;     w = 0.40625
	//   2: g = 0.703125; v = −0.34765625;  w = 0.05859375
	// bias: g = 0.5; rate 0.5; v = 0.5·v − 0.25
	//   0: v = −0.25;   b = 0.75
	//   1: v = −0.375;  b = 0.375
	//   2: v = −0.4375; b = −0.0625
	want := [][2]float32{{0.75, 0.75}, {0.40625, 0.375}, {0.05859375, -0.0625}}
	for step, wb := range want {
		stepWith(s, int64(step), params, 0.5, 0.5)
		if w.Value.Data[0] != wb[0] || b.Value.Data[0] != wb[1] {
			t.Fatalf("step %d: weight %v bias %v, want %v %v",
				step, w.Value.Data[0], b.Value.Data[0], wb[0], wb[1])
		}
	}
	_, st := s.State()
	if v := st["solver.momentum/fc.weight"].Data[0]; v != -0.34765625 {
		t.Errorf("weight velocity %v, want -0.34765625", v)
	}
	if g := w.Grad.Data[0]; g != 0.5 {
		t.Errorf("Update changed the gradient to %v; weight decay must not be written back", g)
	}
}

func TestSGDWithoutMomentumByHand(t *testing.T) {
	// lr 0.25, g 0.5: w −= 0.125 each step, and no history is kept.
	s := mustNew(t, Config{Method: SGD, BaseLR: 0.25})
	w := param("w", 1, 1, 1)
	for step, want := range []float32{0.875, 0.75, 0.625} {
		stepWith(s, int64(step), []*layer.Param{w}, 0.5)
		if w.Value.Data[0] != want {
			t.Fatalf("step %d: w = %v, want %v", step, w.Value.Data[0], want)
		}
	}
	if names, _ := s.State(); len(names) != 0 || s.StateBytes() != 0 {
		t.Errorf("sgd without momentum keeps state %v (%d bytes)", names, s.StateBytes())
	}
}

func TestNesterovByHand(t *testing.T) {
	// lr 0.25, μ 0.5, g 0.5 (so rate·g = 0.125):
	//   v' = 0.5·v − 0.125;  w += 1.5·v' − 0.5·v
	//   0: v = 0       v' = −0.125    step −0.1875    w = 0.8125
	//   1: v = −0.125  v' = −0.1875   step −0.21875   w = 0.59375
	//   2: v = −0.1875 v' = −0.21875  step −0.234375  w = 0.359375
	// Plain momentum would give 0.875, 0.6875, 0.46875 instead.
	s := mustNew(t, Config{Method: Nesterov, BaseLR: 0.25, Momentum: 0.5})
	w := param("w", 1, 1, 1)
	for step, want := range []float32{0.8125, 0.59375, 0.359375} {
		stepWith(s, int64(step), []*layer.Param{w}, 0.5)
		if w.Value.Data[0] != want {
			t.Fatalf("step %d: w = %v, want %v", step, w.Value.Data[0], want)
		}
	}
	_, st := s.State()
	if v := st["solver.momentum/w"].Data[0]; v != -0.21875 {
		t.Errorf("velocity %v, want -0.21875", v)
	}
}

func TestAdaGradByHand(t *testing.T) {
	// lr 0.5, ε 3 (large, so that where it enters shows): gradients 3, 4, 12
	//   0: h = 9    √h = 3   step 0.5·3/(3+3)   = 0.25   w = 0.75
	//   1: h = 25   √h = 5   step 0.5·4/(5+3)   = 0.25   w = 0.5
	//   2: h = 169  √h = 13  step 0.5·12/(13+3) = 0.375  w = 0.125
	// ε under the root, √(h+ε), would give 0.5·3/√12 at step 0 instead.
	s := mustNew(t, Config{Method: AdaGrad, BaseLR: 0.5, Epsilon: 3})
	w := param("w", 1, 1, 1)
	for step, c := range []struct{ g, w, h float32 }{{3, 0.75, 9}, {4, 0.5, 25}, {12, 0.125, 169}} {
		stepWith(s, int64(step), []*layer.Param{w}, c.g)
		_, st := s.State()
		if w.Value.Data[0] != c.w || st["solver.adagrad_h/w"].Data[0] != c.h {
			t.Fatalf("step %d: w = %v h = %v, want %v %v",
				step, w.Value.Data[0], st["solver.adagrad_h/w"].Data[0], c.w, c.h)
		}
	}
}

func TestAdaGradWeightDecayAndDefaultEpsilon(t *testing.T) {
	// With weight decay 1, DecayMult 1, w 2 and grad 1, g = 3 and h = 9;
	// with the default ε the step is 0.5·3/(3+1e-8), which rounds to 0.5.
	s := mustNew(t, Config{Method: AdaGrad, BaseLR: 0.5, WeightDecay: 1})
	if got := s.Config().Epsilon; got != DefaultEpsilon {
		t.Fatalf("epsilon %v, want default %v", got, DefaultEpsilon)
	}
	w := param("w", 1, 1, 2)
	b := param("b", 1, 0, 2) // no decay: g = 1, h = 1, step 0.5
	stepWith(s, 0, []*layer.Param{w, b}, 1, 1)
	if w.Value.Data[0] != 1.5 || b.Value.Data[0] != 1.5 {
		t.Errorf("w = %v b = %v, want 1.5 1.5", w.Value.Data[0], b.Value.Data[0])
	}
	_, st := s.State()
	if h := st["solver.adagrad_h/w"].Data[0]; h != 9 {
		t.Errorf("h = %v, want 9 (decay must enter the sum of squares)", h)
	}
}

func TestLRMultZeroFreezes(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			s := mustNew(t, m.cfg)
			frozen := param("frozen", 0, 1, 1, -2, 3)
			for step := int64(0); step < 3; step++ {
				stepWith(s, step, []*layer.Param{frozen}, 0.7)
			}
			sameBits(t, "frozen", frozen.Value.Data, []float32{1, -2, 3})
		})
	}
}

// referenceUpdate is the doc's formulas in float64, written independently
// of the kernels, for gradients that are not exact in float32.
func referenceUpdate(c Config, lr float64, w, g, h []float64, lrMult, decayMult float64) {
	rate, decay, mu := lr*lrMult, float64(c.WeightDecay)*decayMult, float64(c.Momentum)
	for i := range w {
		gi := g[i] + decay*w[i]
		switch c.Method {
		case SGD:
			h[i] = mu*h[i] - rate*gi
			w[i] += h[i]
		case Nesterov:
			prev := h[i]
			h[i] = mu*prev - rate*gi
			w[i] += (1+mu)*h[i] - mu*prev
		case AdaGrad:
			h[i] += gi * gi
			w[i] -= rate * gi / (math.Sqrt(h[i]) + float64(c.Epsilon))
		}
	}
}

func TestMatchesFloat64Reference(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			s := mustNew(t, m.cfg)
			c := s.Config()
			params := network(1)
			ref := make([][]float64, len(params))
			hist := make([][]float64, len(params))
			for i, p := range params {
				for _, v := range p.Value.Data {
					ref[i] = append(ref[i], float64(v))
				}
				hist[i] = make([]float64, len(ref[i]))
			}

			for step := int64(0); step < 10; step++ {
				fillGrads(step, params)
				for i, p := range params {
					g := make([]float64, len(p.Grad.Data))
					for j, v := range p.Grad.Data {
						g[j] = float64(v)
					}
					referenceUpdate(c, float64(s.LR(step)), ref[i], g, hist[i],
						float64(p.LRMult), float64(p.DecayMult))
				}
				s.Update(step, params)

				for i, p := range params {
					for j, v := range p.Value.Data {
						want := ref[i][j]
						if d := math.Abs(float64(v) - want); d > 1e-5*(1+math.Abs(want)) {
							t.Fatalf("step %d %s[%d] = %v, reference %v",
								step, p.Name, j, v, want)
						}
					}
				}
			}
		})
	}
}

func TestSubsetUpdatesEqualWholeSet(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			whole := network(2)
			parts := cloneParams(whole)
			all := mustNew(t, m.cfg)
			// Two owners, each with an interleaved share, as a
			// data-parallel partition by size might give them.
			owners := []*Solver{mustNew(t, m.cfg), mustNew(t, m.cfg)}
			shares := [][]*layer.Param{{parts[0], parts[3]}, {parts[2], parts[1]}}

			for step := int64(0); step < 8; step++ {
				fillGrads(step, whole)
				fillGrads(step, parts)
				all.Update(step, whole)
				for i, s := range owners {
					s.Update(step, shares[i])
				}
			}
			for i := range whole {
				sameBits(t, whole[i].Name, parts[i].Value.Data, whole[i].Value.Data)
			}

			// The owners' histories together are exactly the whole one's.
			_, wantState := all.State()
			got := 0
			for _, s := range owners {
				names, st := s.State()
				got += len(names)
				for _, n := range names {
					sameBits(t, n, st[n].Data, wantState[n].Data)
				}
			}
			if got != len(wantState) {
				t.Errorf("owners hold %d state tensors, whole solver %d", got, len(wantState))
			}
		})
	}
}

func TestThreadsGiveIdenticalResults(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			serialParams := []*layer.Param{layer.NewParam("big", 1, 3*grain+17)}
			for i := range serialParams[0].Value.Data {
				serialParams[0].Value.Data[i] = float32(i%97) / 50
			}
			threadedParams := cloneParams(serialParams)
			cfg := m.cfg
			serial := mustNew(t, cfg)
			cfg.Threads = 4
			threaded := mustNew(t, cfg)

			for step := int64(0); step < 3; step++ {
				fillGrads(step, serialParams)
				fillGrads(step, threadedParams)
				serial.Update(step, serialParams)
				threaded.Update(step, threadedParams)
			}
			sameBits(t, "big", threadedParams[0].Value.Data, serialParams[0].Value.Data)
			sameState(t, threaded, serial)
		})
	}
}

func TestUpdateDoesNotAllocate(t *testing.T) {
	for _, m := range methods {
		t.Run(m.name, func(t *testing.T) {
			params := network(3)
			fillGrads(0, params)

			prepared := mustNew(t, m.cfg)
			if err := prepared.Prepare(params); err != nil {
				t.Fatal(err)
			}
			step := int64(0)
			if n := testing.AllocsPerRun(20, func() {
				prepared.Update(step, params)
				step++
			}); n != 0 {
				t.Errorf("Update after Prepare: %v allocations per step, want 0", n)
			}

			lazy := mustNew(t, m.cfg)
			lazy.Update(0, params)
			if n := testing.AllocsPerRun(20, func() { lazy.Update(1, params) }); n != 0 {
				t.Errorf("Update after the first: %v allocations per step, want 0", n)
			}
		})
	}
}

func TestStateBytesCountsHistory(t *testing.T) {
	s := mustNew(t, Config{Method: AdaGrad, BaseLR: 0.1})
	params := network(4) // 12 + 4 + 8 + 2 elements
	if err := s.Prepare(params); err != nil {
		t.Fatal(err)
	}
	if got := s.StateBytes(); got != 26*4 {
		t.Errorf("StateBytes = %d, want %d", got, 26*4)
	}
}

// badParams are parameters Update must refuse, with a word the error must
// contain.
func badParams() []struct {
	name string
	p    *layer.Param
	want string
} {
	mismatched := layer.NewParam("fc.weight", 1, 2, 3)
	mismatched.Grad = layer.NewParam("x", 1, 3, 2).Grad
	short := layer.NewParam("fc.weight", 1, 2, 3)
	short.Grad.Data = short.Grad.Data[:5]
	noGrad := layer.NewParam("fc.weight", 1, 2)
	noGrad.Grad = nil
	negLR := layer.NewParam("fc.weight", 1, 2)
	negLR.LRMult = -1
	nanDecay := layer.NewParam("fc.weight", 1, 2)
	nanDecay.DecayMult = float32(math.NaN())
	return []struct {
		name string
		p    *layer.Param
		want string
	}{
		{"nil", nil, "nil param"},
		{"unnamed", layer.NewParam("", 1, 2), "without a name"},
		{"no grad", noGrad, "fc.weight: no value or no gradient"},
		{"grad shape", mismatched, "fc.weight: gradient has shape 3x2, value 2x3"},
		{"grad length", short, "fc.weight: shape 2x3 needs 6 elements"},
		{"negative lr_mult", negLR, "lr_mult must be a finite number >= 0, got -1"},
		{"NaN decay_mult", nanDecay, "decay_mult must be a finite number >= 0, got NaN"},
	}
}

func TestUpdatePanicsOnBadParam(t *testing.T) {
	for _, c := range badParams() {
		t.Run(c.name, func(t *testing.T) {
			s := mustNew(t, Config{Method: SGD, BaseLR: 0.1, Momentum: 0.9})
			defer func() {
				err, _ := recover().(error)
				if !errors.Is(err, ErrBadParam) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("panic %v, want an ErrBadParam containing %q", err, c.want)
				}
			}()
			s.Update(0, []*layer.Param{c.p})
		})
	}
}

func TestPrepareReportsEveryBadParam(t *testing.T) {
	s := mustNew(t, Config{Method: SGD, BaseLR: 0.1, Momentum: 0.9})
	var params []*layer.Param
	for _, c := range badParams() {
		params = append(params, c.p)
	}
	params = append(params, layer.NewParam("dup", 1, 2), layer.NewParam("dup", 1, 2))
	err := s.Prepare(params)
	if !errors.Is(err, ErrBadParam) {
		t.Fatalf("Prepare: %v, want ErrBadParam", err)
	}
	for _, c := range badParams() {
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Prepare error lacks %q:\n%v", c.want, err)
		}
	}
	if !strings.Contains(err.Error(), "dup: listed twice") {
		t.Errorf("Prepare error lacks the duplicate:\n%v", err)
	}
}

func TestHistoryShapeChangePanics(t *testing.T) {
	s := mustNew(t, Config{Method: Nesterov, BaseLR: 0.1, Momentum: 0.9})
	s.Update(0, []*layer.Param{layer.NewParam("fc.weight", 1, 2, 3)})
	reshaped := []*layer.Param{layer.NewParam("fc.weight", 1, 3, 2)}

	err := s.Prepare(reshaped)
	want := "solver.momentum/fc.weight has shape 2x3 but param fc.weight has 3x2"
	if !errors.Is(err, ErrBadState) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Prepare: %v, want ErrBadState with %q", err, want)
	}
	defer func() {
		if r, _ := recover().(error); !errors.Is(r, ErrBadState) {
			t.Errorf("Update panicked with %v, want ErrBadState", r)
		}
	}()
	s.Update(1, reshaped)
}

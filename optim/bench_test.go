package optim

import (
	"strconv"
	"testing"

	"github.com/mariana-dl/mariana/layer"
)

// BenchmarkUpdateMLP times one update of the parameters of the 784-1024-
// 1024-10 MLP (1.86 M values); bytes are the parameter bytes updated.
func BenchmarkUpdateMLP(b *testing.B) {
	shapes := []struct {
		name  string
		decay float32
		shape []int
	}{
		{"fc1.weight", 1, []int{784, 1024}}, {"fc1.bias", 0, []int{1024}},
		{"fc2.weight", 1, []int{1024, 1024}}, {"fc2.bias", 0, []int{1024}},
		{"fc3.weight", 1, []int{1024, 10}}, {"fc3.bias", 0, []int{10}},
	}
	for _, m := range methods {
		for _, threads := range []int{1, 2} {
			b.Run(m.name+"/threads="+strconv.Itoa(threads), func(b *testing.B) {
				var params []*layer.Param
				var n int64
				for _, s := range shapes {
					p := layer.NewParam(s.name, s.decay, s.shape...)
					for i := range p.Grad.Data {
						p.Grad.Data[i] = float32(i%13) * 1e-3
					}
					params = append(params, p)
					n += int64(p.Value.Len())
				}
				cfg := m.cfg
				cfg.Threads = threads
				s := mustNew(b, cfg)
				if err := s.Prepare(params); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(n * 4)
				b.ReportAllocs()
				step := int64(0)
				for b.Loop() {
					s.Update(step, params)
					step++
				}
			})
		}
	}
}

package layer_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// BenchmarkFullyConnectedForward times the layer's forward pass on one
// thread beside the plain product x·Wᵀ with the bias, its form before
// Note [Forward product transposed], on the MLP's and the speech DNN's
// shapes at their batch and at the half batch of two replicas:
//
//	go test -run '^$' -bench FullyConnectedForward ./layer
func BenchmarkFullyConnectedForward(b *testing.B) {
	for _, c := range []struct {
		name          string
		batch, k, out int
	}{
		{"mlp-fc1", 128, 784, 1024}, {"mlp-fc1", 64, 784, 1024},
		{"mlp-fc2", 128, 1024, 1024}, {"mlp-fc2", 64, 1024, 1024},
		{"speech-fc2", 256, 2048, 2048}, {"speech-fc2", 128, 2048, 2048},
		{"speech-fc5", 256, 2048, 3000}, {"speech-fc5", 128, 2048, 3000},
	} {
		l := layer.NewFullyConnected("fc", layer.FullyConnectedConfig{Outputs: c.out})
		if _, err := l.Setup([]tensor.Shape{{c.k}}); err != nil {
			b.Fatal(err)
		}
		l.Init(1)
		x, y := tensor.New(c.batch, c.k), tensor.New(c.batch, c.out)
		rng := rand.New(rand.NewPCG(1, 2))
		for i := range x.Data {
			x.Data[i] = rng.Float32() - 0.5
		}
		ctx := &layer.Context{BLAS: auto.New(1), SerialBLAS: auto.New(1), Threads: 1}
		w, bias := l.Params()[0].Value.Data, l.Params()[1].Value.Data
		flops := float64(2 * c.batch * c.k * c.out)
		name := fmt.Sprintf("%s/batch=%d", c.name, c.batch)

		b.Run(name+"/xWt", func(b *testing.B) {
			for b.Loop() {
				for i := 0; i < c.batch; i++ {
					copy(y.Data[i*c.out:(i+1)*c.out], bias)
				}
				ctx.BLAS.Sgemm(blas.NoTrans, blas.Trans, 1, blas.Matrix(c.batch, c.k, x.Data),
					blas.Matrix(c.out, c.k, w), 1, blas.Matrix(c.batch, c.out, y.Data))
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run(name+"/layer", func(b *testing.B) {
			in := []*tensor.Tensor{x}
			for b.Loop() {
				l.Forward(ctx, in, y)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

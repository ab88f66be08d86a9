package layer_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// benchLayer is one layer of a benchmarked network with its input shape.
type benchLayer struct {
	l  layer.Layer
	in tensor.Shape
	// first is true for a layer fed by the data, which needs no input
	// gradient.
	first bool
}

// lenetConvLayers returns LeNet's convolution and pooling layers (Caffe's
// lenet_train_test.prototxt).
func lenetConvLayers() []benchLayer {
	return []benchLayer{
		{layer.NewConv2D("conv1", layer.Conv2DConfig{Filters: 20, KernelH: 5, KernelW: 5}),
			tensor.Shape{1, 28, 28}, true},
		{layer.NewPool("pool1", layer.PoolConfig{Method: layer.PoolMax, KernelH: 2,
			KernelW: 2}), tensor.Shape{20, 24, 24}, false},
		{layer.NewConv2D("conv2", layer.Conv2DConfig{Filters: 50, KernelH: 5, KernelW: 5}),
			tensor.Shape{20, 12, 12}, false},
		{layer.NewPool("pool2", layer.PoolConfig{Method: layer.PoolMax, KernelH: 2,
			KernelW: 2}), tensor.Shape{50, 8, 8}, false},
	}
}

// cifarConvLayers returns cifar10-quick's convolution and pooling layers
// (Caffe's cifar10_quick_train_test.prototxt).
func cifarConvLayers() []benchLayer {
	conv := func(name string, filters int) *layer.Conv2D {
		return layer.NewConv2D(name, layer.Conv2DConfig{Filters: filters, KernelH: 5,
			KernelW: 5, PadH: 2, PadW: 2})
	}
	pool := func(name string, m layer.PoolMethod) *layer.Pool {
		return layer.NewPool(name, layer.PoolConfig{Method: m, KernelH: 3, KernelW: 3,
			StrideH: 2, StrideW: 2})
	}
	return []benchLayer{
		{conv("conv1", 32), tensor.Shape{3, 32, 32}, true},
		{pool("pool1", layer.PoolMax), tensor.Shape{32, 32, 32}, false},
		{conv("conv2", 32), tensor.Shape{32, 16, 16}, false},
		{pool("pool2", layer.PoolAverage), tensor.Shape{32, 16, 16}, false},
		{conv("conv3", 64), tensor.Shape{32, 8, 8}, false},
		{pool("pool3", layer.PoolAverage), tensor.Shape{64, 8, 8}, false},
	}
}

// benchState holds one layer's buffers for a benchmark.
type benchState struct {
	benchLayer
	x, y, dy, dx *tensor.Tensor
	in, dIn      []*tensor.Tensor
}

func newBenchState(b *testing.B, bl benchLayer, batch int) *benchState {
	b.Helper()
	out, err := bl.l.Setup([]tensor.Shape{bl.in})
	if err != nil {
		b.Fatal(err)
	}
	if init, ok := bl.l.(layer.Initializer); ok {
		init.Init(1)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	s := &benchState{benchLayer: bl,
		x: tensor.New(bl.in.WithBatch(batch)...), y: tensor.New(out.WithBatch(batch)...),
		dy: tensor.New(out.WithBatch(batch)...)}
	for _, t := range []*tensor.Tensor{s.x, s.dy} {
		for i := range t.Data {
			t.Data[i] = float32(rng.NormFloat64())
		}
	}
	if !bl.first {
		s.dx = tensor.New(bl.in.WithBatch(batch)...)
	}
	s.in, s.dIn = []*tensor.Tensor{s.x}, []*tensor.Tensor{s.dx}
	return s
}

func (s *benchState) step(ctx *layer.Context) {
	s.l.Forward(ctx, s.in, s.y)
	s.l.Backward(ctx, s.in, s.y, s.dy, s.dIn)
}

func benchContext(threads int) *layer.Context {
	return &layer.Context{BLAS: auto.New(threads), SerialBLAS: auto.New(1),
		Threads: threads, Train: true}
}

// benchNet runs Forward and Backward of each layer alone, then of the
// whole stack, with one and two threads, reporting samples per second.
func benchNet(b *testing.B, layers func() []benchLayer, batch int) {
	for _, threads := range []int{1, 2} {
		ctx := benchContext(threads)
		var all []*benchState
		for _, bl := range layers() {
			s := newBenchState(b, bl, batch)
			all = append(all, s)
			b.Run(fmt.Sprintf("%s/threads=%d", bl.l.Name(), threads), func(b *testing.B) {
				s.step(ctx)
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					s.step(ctx)
				}
				b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
			})
		}
		b.Run(fmt.Sprintf("all/threads=%d", threads), func(b *testing.B) {
			for _, s := range all {
				s.step(ctx)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				for _, s := range all {
					s.step(ctx)
				}
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkLeNetConv times LeNet's convolution and pooling layers, Forward
// plus Backward at batch 64.
func BenchmarkLeNetConv(b *testing.B) { benchNet(b, lenetConvLayers, 64) }

// BenchmarkCifarQuickConv times cifar10-quick's convolution and pooling
// layers, Forward plus Backward at batch 100.
func BenchmarkCifarQuickConv(b *testing.B) { benchNet(b, cifarConvLayers, 100) }

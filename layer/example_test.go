package layer_test

import (
	"fmt"

	"github.com/mariana-dl/mariana/blas/auto"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// A fully connected layer with two inputs and two outputs, run on one
// sample. The caller owns the output buffer and sizes it from the shape
// Setup returns.
func ExampleFullyConnected() {
	fc := layer.NewFullyConnected("fc1", layer.FullyConnectedConfig{Outputs: 2})
	shape, err := fc.Setup([]tensor.Shape{{2}})
	if err != nil {
		fmt.Println(err)
		return
	}
	w, b := fc.Params()[0], fc.Params()[1]
	copy(w.Value.Data, []float32{1, 2, 3, 4}) // rows are outputs
	copy(b.Value.Data, []float32{0.5, -0.5})

	x, _ := tensor.FromData(tensor.Shape{1, 2}, []float32{1, 1})
	out := &tensor.Tensor{}
	out.Resize(shape, x.Batch())
	ctx := &layer.Context{BLAS: auto.New(1), SerialBLAS: auto.New(1), Threads: 1}
	fc.Forward(ctx, []*tensor.Tensor{x}, out)
	fmt.Println(out.Shape, out.Data)
	// Output: 1x2 [3.5 6.5]
}

// Setup reports a bad configuration with the spec's field name.
func ExampleFullyConnected_Setup() {
	fc := layer.NewFullyConnected("fc1", layer.FullyConnectedConfig{})
	_, err := fc.Setup([]tensor.Shape{{784}})
	fmt.Println(err)
	// Output: layer: fc1: outputs must be positive, got 0
}

func ExampleReLU() {
	relu := layer.NewReLU("relu1")
	if _, err := relu.Setup([]tensor.Shape{{4}}); err != nil {
		fmt.Println(err)
		return
	}
	x, _ := tensor.FromData(tensor.Shape{1, 4}, []float32{-2, -0.5, 0.5, 2})
	out := tensor.New(1, 4)
	relu.Forward(&layer.Context{Threads: 1}, []*tensor.Tensor{x}, out)
	fmt.Println(out.Data)
	// Output: [0 0 0.5 2]
}

// The loss of one sample with three classes whose label is class 0, and
// the gradient of the logits when the caller weighs the sample by 1.
func ExampleSoftmaxLoss() {
	loss := layer.NewSoftmaxLoss("loss")
	if _, err := loss.Setup([]tensor.Shape{{3}, {1}}); err != nil {
		fmt.Println(err)
		return
	}
	logits, _ := tensor.FromData(tensor.Shape{1, 3}, []float32{2, 1, 0})
	labels, _ := tensor.FromData(tensor.Shape{1, 1}, []float32{0})
	in := []*tensor.Tensor{logits, labels}
	out, dLogits := tensor.New(1, 1), tensor.New(1, 3)
	dOut, _ := tensor.FromData(tensor.Shape{1, 1}, []float32{1})

	ctx := &layer.Context{Threads: 1, Train: true}
	loss.Forward(ctx, in, out)
	loss.Backward(ctx, in, out, dOut, []*tensor.Tensor{dLogits, nil})
	fmt.Printf("loss %.4f, gradient %.4f\n", out.Data[0], dLogits.Data)
	// Output: loss 0.4076, gradient [-0.3348 0.2447 0.0900]
}

// Dropout's mask is a function of the seed, the step and the global sample
// index, so a sample gets the same mask whichever replica computes it; in
// evaluation the layer passes its input through.
func ExampleDropout() {
	drop := layer.NewDropout("drop1", layer.DropoutConfig{Rate: 0.5})
	if _, err := drop.Setup([]tensor.Shape{{8}}); err != nil {
		fmt.Println(err)
		return
	}
	drop.Init(42)
	x, _ := tensor.FromData(tensor.Shape{2, 8}, []float32{
		1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1,
	})
	out := tensor.New(2, 8)

	ctx := &layer.Context{Threads: 1, Train: true, Step: 7}
	drop.Forward(ctx, []*tensor.Tensor{x}, out)
	fmt.Println("batch:   ", out.Data[8:])

	// The second sample alone, as the replica that holds it would see it.
	ctx.SampleOffset = 1
	drop.Forward(ctx, []*tensor.Tensor{x.Rows(1, 2)}, out.Rows(0, 1))
	fmt.Println("replica: ", out.Data[:8])

	ctx.Train = false
	drop.Forward(ctx, []*tensor.Tensor{x.Rows(0, 1)}, out.Rows(0, 1))
	fmt.Println("evaluate:", out.Data[:8])
	// Output:
	// batch:    [0 0 0 2 0 2 2 0]
	// replica:  [0 0 0 2 0 2 2 0]
	// evaluate: [1 1 1 1 1 1 1 1]
}

// Two columns of feature maps joined along channels.
func ExampleConcat() {
	cat := layer.NewConcat("cat")
	shape, err := cat.Setup([]tensor.Shape{{2, 1, 2}, {1, 1, 2}})
	if err != nil {
		fmt.Println(err)
		return
	}
	a, _ := tensor.FromData(tensor.Shape{1, 2, 1, 2}, []float32{1, 2, 3, 4})
	b, _ := tensor.FromData(tensor.Shape{1, 1, 1, 2}, []float32{5, 6})
	out := &tensor.Tensor{}
	out.Resize(shape, 1)
	cat.Forward(&layer.Context{Threads: 1}, []*tensor.Tensor{a, b}, out)
	fmt.Println(out.Shape, out.Data)
	// Output: 1x3x1x2 [1 2 3 4 5 6]
}

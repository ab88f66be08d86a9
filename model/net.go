package model

import (
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/tensor"
)

// Reserved source indices for a node input.
const (
	srcData  = -1
	srcLabel = -2
)

// Net executes a [Graph] on one device: it owns the activations and their
// gradients, sized for the largest batch seen, and reuses them every step.
// A Net is not safe for concurrent use; give each device its own.
type Net struct {
	g *Graph

	// src[i][j] is the node index feeding input j of node i, or srcData /
	// srcLabel.
	src [][]int

	// out[i] is node i's output and dOut[i] the gradient of the loss with
	// respect to it.
	out, dOut []*tensor.Tensor

	// dIn[i][j] is where node i's Backward writes the gradient of input j:
	// the producer's dOut when node i is its only reader, a private buffer
	// summed into the producer's dOut otherwise, and nil when no gradient
	// is needed (the data, the labels, or a producer with nothing
	// learnable upstream).
	dIn [][]*tensor.Tensor

	// sums[i] lists the private buffers to add into dOut[i] before node i's
	// Backward.
	sums [][]*tensor.Tensor

	// needGrad[i] says node i or something upstream of it has parameters,
	// so node i's Backward must run.
	needGrad []bool

	inBuf [][]*tensor.Tensor
	x, y  *tensor.Tensor
}

// NewNet prepares the execution of g. The graph's layers are shared, not
// copied: a Net per replica needs a Graph per replica.
func NewNet(g *Graph) *Net {
	nodes := g.Nodes()
	n := &Net{
		g:        g,
		src:      make([][]int, len(nodes)),
		out:      make([]*tensor.Tensor, len(nodes)),
		dOut:     make([]*tensor.Tensor, len(nodes)),
		dIn:      make([][]*tensor.Tensor, len(nodes)),
		sums:     make([][]*tensor.Tensor, len(nodes)),
		needGrad: make([]bool, len(nodes)),
		inBuf:    make([][]*tensor.Tensor, len(nodes)),
	}

	readers := make([]int, len(nodes))
	for i, node := range nodes {
		n.out[i] = &tensor.Tensor{}
		n.dOut[i] = &tensor.Tensor{}
		n.needGrad[i] = len(node.Layer.Params()) > 0
		n.src[i] = make([]int, len(node.Inputs))
		for j, name := range node.Inputs {
			switch name {
			case DataInput:
				n.src[i][j] = srcData
			case LabelInput:
				n.src[i][j] = srcLabel
			default:
				s, _ := g.Lookup(name)
				n.src[i][j] = s
				readers[s]++
				n.needGrad[i] = n.needGrad[i] || n.needGrad[s]
			}
		}
		n.inBuf[i] = make([]*tensor.Tensor, len(node.Inputs))
	}

	for i := range nodes {
		n.dIn[i] = make([]*tensor.Tensor, len(n.src[i]))
		for j, s := range n.src[i] {
			if s < 0 || !n.needGrad[s] {
				continue
			}
			if readers[s] == 1 {
				n.dIn[i][j] = n.dOut[s]
				continue
			}
			buf := &tensor.Tensor{}
			n.dIn[i][j] = buf
			n.sums[s] = append(n.sums[s], buf)
		}
	}
	return n
}

// Graph returns the graph the net executes.
func (n *Net) Graph() *Graph { return n.g }

// Params returns the graph's learnable parameters.
func (n *Net) Params() []*layer.Param { return n.g.Params() }

// Forward runs the network on a mini-batch x (N, C, H, W) with labels
// (N, 1) and returns the sum of the per-sample losses (not the mean, so
// that replicas holding parts of one mini-batch add up exactly).
func (n *Net) Forward(ctx *layer.Context, x, labels *tensor.Tensor) float64 {
	n.x, n.y = x, labels
	batch := x.Batch()
	nodes := n.g.Nodes()
	for i, node := range nodes {
		in := n.inputs(i)
		n.out[i].Resize(n.g.Shape(i), batch)
		node.Layer.Forward(ctx, in, n.out[i])
	}

	var sum float64
	for _, v := range n.out[n.g.Loss()].Data {
		sum += float64(v)
	}
	return sum
}

// Backward computes the gradients of every parameter for the mini-batch of
// the last Forward, which must have run with ctx.Train set. scale is the
// weight of each sample's loss: 1/N for the mean over a mini-batch of N
// samples, where N counts the samples of every replica of the step.
func (n *Net) Backward(ctx *layer.Context, scale float32) {
	nodes := n.g.Nodes()
	batch := n.x.Batch()

	loss := n.g.Loss()
	n.dOut[loss].Resize(n.g.Shape(loss), batch)
	for k := range n.dOut[loss].Data {
		n.dOut[loss].Data[k] = scale
	}

	for i := len(nodes) - 1; i >= 0; i-- {
		if !n.needGrad[i] {
			continue
		}
		n.sumReaders(i)
		for j, d := range n.dIn[i] {
			if d != nil {
				d.Resize(n.g.Shape(n.src[i][j]), batch)
			}
		}
		nodes[i].Layer.Backward(ctx, n.inBuf[i], n.out[i], n.dOut[i], n.dIn[i])
	}
}

// sumReaders adds the gradients of node i's readers into dOut[i] when more
// than one layer reads node i.
func (n *Net) sumReaders(i int) {
	bufs := n.sums[i]
	if len(bufs) == 0 {
		return
	}
	d := n.dOut[i]
	d.Resize(n.g.Shape(i), n.x.Batch())
	copy(d.Data, bufs[0].Data)
	for _, b := range bufs[1:] {
		tensor.Axpy(1, b.Data, d.Data)
	}
}

// inputs fills and returns the input list of node i.
func (n *Net) inputs(i int) []*tensor.Tensor {
	in := n.inBuf[i]
	for j, s := range n.src[i] {
		switch s {
		case srcData:
			in[j] = n.x
		case srcLabel:
			in[j] = n.y
		default:
			in[j] = n.out[s]
		}
	}
	return in
}

// Logits returns the output of the layer the loss reads first, from the
// last Forward: the class scores, N × classes.
func (n *Net) Logits() *tensor.Tensor {
	return n.out[n.src[n.g.Loss()][0]]
}

// Output returns node i's output from the last Forward.
func (n *Net) Output(i int) *tensor.Tensor { return n.out[i] }

// Correct returns how many samples of the last Forward the logits classify
// as their label (the first maximum wins ties).
func (n *Net) Correct() int {
	logits := n.Logits()
	classes := logits.SampleLen()
	correct := 0
	for s := 0; s < logits.Batch(); s++ {
		row := logits.Data[s*classes : (s+1)*classes]
		best := 0
		for c, v := range row {
			if v > row[best] {
				best = c
			}
		}
		if best == int(n.y.Data[s]) {
			correct++
		}
	}
	return correct
}

// ActivationBytes returns the bytes of activations and activation gradients
// the net holds now, for device accounting.
func (n *Net) ActivationBytes() int64 {
	var b int64
	for i := range n.out {
		b += int64(cap(n.out[i].Data)+cap(n.dOut[i].Data)) * 4
		for _, s := range n.sums[i] {
			b += int64(cap(s.Data)) * 4
		}
	}
	return b
}

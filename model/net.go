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

	// fused[i] is set on a convolution whose only reader is a ReLU: the
	// convolution applies the ReLU itself (see fuseReLUs), and skip[j] is
	// set on that ReLU, whose output and output gradient are the
	// convolution's.
	fused, skip []bool

	inBuf [][]*tensor.Tensor
	x, y  *tensor.Tensor
}

// NewNet prepares the execution of g. The graph's layers are shared, not
// copied: a Net per replica needs a Graph per replica.
func NewNet(g *Graph) *Net {
	return newNet(g, true)
}

// newNet is NewNet, fusing ReLUs into the layers they read only when fuse
// is set; the tests compare the two.
func newNet(g *Graph, fuse bool) *Net {
	nodes := g.Nodes()
	n := &Net{
		g:        g,
		src:      make([][]int, len(nodes)),
		out:      make([]*tensor.Tensor, len(nodes)),
		dOut:     make([]*tensor.Tensor, len(nodes)),
		dIn:      make([][]*tensor.Tensor, len(nodes)),
		sums:     make([][]*tensor.Tensor, len(nodes)),
		needGrad: make([]bool, len(nodes)),
		fused:    make([]bool, len(nodes)),
		skip:     make([]bool, len(nodes)),
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
	if fuse {
		n.fuseReLUs(readers)
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

// reluFuser is a layer that can apply a ReLU to its own output.
type reluFuser interface {
	ForwardReLU(ctx *layer.Context, in []*tensor.Tensor, out *tensor.Tensor)
	BackwardReLU(ctx *layer.Context, in []*tensor.Tensor, out, dOut *tensor.Tensor,
		dIn []*tensor.Tensor)
}

// fuseReLUs finds every ReLU that is the only reader of a layer able to
// apply it itself (a convolution), and lets that layer do so: the ReLU then
// costs no pass of its own over memory, forward or backward. The ReLU stays
// in the graph, with its name, shape and index, but the net skips it and
// gives it the producer's buffers, out and dOut, which now hold the ReLU's
// output and its gradient. readers[i] counts the nodes reading node i.
func (n *Net) fuseReLUs(readers []int) {
	nodes := n.g.Nodes()
	for r, node := range nodes {
		if _, ok := node.Layer.(*layer.ReLU); !ok || len(n.src[r]) != 1 {
			continue
		}
		s := n.src[r][0]
		if s < 0 || readers[s] != 1 || n.fused[s] {
			continue
		}
		if _, ok := nodes[s].Layer.(reluFuser); !ok {
			continue
		}
		n.fused[s], n.skip[r] = true, true
		n.out[r], n.dOut[s] = n.out[s], n.dOut[r]
	}
}

// Graph returns the graph the net executes.
func (n *Net) Graph() *Graph { return n.g }

// Params returns the graph's learnable parameters.
func (n *Net) Params() []*layer.Param { return n.g.Params() }

// Forward runs the network on a mini-batch x (N, C, H, W) with labels
// (N, 1) and returns the sum of the per-sample losses (not the mean, so
// that replicas holding parts of one mini-batch add up exactly).
//
// TODO: the layers run one after another over the whole batch, each
// splitting it over the threads and meeting at a barrier; layers that
// treat samples apart (convolution, pooling, activations) could instead
// carry each thread's samples through the whole run of them, with their
// activations still in cache and one barrier for the run. On cifar10-quick
// two threads reach 1.75 times one, where two separate processes of one
// thread reach 2.
func (n *Net) Forward(ctx *layer.Context, x, labels *tensor.Tensor) float64 {
	n.x, n.y = x, labels
	batch := x.Batch()
	nodes := n.g.Nodes()
	for i, node := range nodes {
		in := n.inputs(i)
		n.out[i].Resize(n.g.Shape(i), batch)
		switch {
		case n.skip[i]:
		case n.fused[i]:
			node.Layer.(reluFuser).ForwardReLU(ctx, in, n.out[i])
		default:
			node.Layer.Forward(ctx, in, n.out[i])
		}
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
	n.BackwardNotify(ctx, scale, nil)
}

// BackwardNotify is [Net.Backward], calling done(i) on the calling
// goroutine right after node i's backward pass. The gradients of node i's
// parameters are final then (no other node writes them), so a data-parallel
// trainer can start exchanging them while the nodes below still compute.
// Nodes whose backward pass is skipped (nothing learnable at or upstream of
// them) are not reported. A nil done makes it Backward.
func (n *Net) BackwardNotify(ctx *layer.Context, scale float32, done func(node int)) {
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
		switch {
		case n.skip[i]:
		case n.fused[i]:
			nodes[i].Layer.(reluFuser).BackwardReLU(ctx, n.inBuf[i], n.out[i], n.dOut[i],
				n.dIn[i])
		default:
			nodes[i].Layer.Backward(ctx, n.inBuf[i], n.out[i], n.dOut[i], n.dIn[i])
		}
		if done != nil {
			done(i)
		}
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

// Input returns input j of node i from the last Forward.
func (n *Net) Input(i, j int) *tensor.Tensor { return n.inBuf[i][j] }

// OutputGrad returns the gradient of the loss with respect to node i's
// output from the last Backward; it is final from the moment node i's
// backward pass starts until the next Forward.
func (n *Net) OutputGrad(i int) *tensor.Tensor { return n.dOut[i] }

// Output returns node i's output from the last Forward. A convolution
// whose only reader is a ReLU shares that ReLU's output (see fuseReLUs).
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
		// TODO: a fused ReLU shares its convolution's buffers (see
		// fuseReLUs) but is counted as if it had its own, because the
		// model-parallel framework, which does not fuse, checks its own
		// accounting against this figure; count them once when it fuses
		// too.
		b += int64(cap(n.out[i].Data)+cap(n.dOut[i].Data)) * 4
		for _, s := range n.sums[i] {
			b += int64(cap(s.Data)) * 4
		}
	}
	return b
}

package dataparallel

import (
	"github.com/mariana-dl/mariana/blas"
	"github.com/mariana-dl/mariana/exchange"
)

// Note [Sufficient factors]
//
// A fully connected layer's weight gradient is a product of two factors
// the passes already hold, dW = dyᵀ·x: its input, one row per sample, and
// the gradient of its output (layer.Factored). Summed over the replicas it
// is Σ dy_pᵀ·x_p, so the rows of dW a member owns can be computed from
// every replica's factors directly, instead of every replica computing all
// of dW over its own samples and the owners adding them up. The devices of
// one process can read each other's factors in place, so that is what
// they do (with the solver's history kept by the owners, the default):
// each such weight is a factor segment of its own, cut into whole rows,
// one share per member; once every member's backward pass is past the
// layer (a barrier on the segment's collective), each owner computes its
// rows' gradient, one product per member in rank order, and updates them
// in the shared parameter buffer. Nothing is added and nothing gathered:
// the weights' exchange is the barrier, and each layer computes only its
// input gradient and its bias gradient in the backward pass. Biases and
// other layers' parameters keep the exchange of Note [Flat buffers].
//
// The products add the members' terms in rank order onto the rows, the
// order of an ordered reduce-scatter, so the bits are those of the
// gradient exchange as long as a member's share fits in one depth block
// of the product (OpenBLAS's, a few hundred samples; beyond that the
// product itself adds in blocks, and results agree to rounding). Groups
// of processes, which do not share memory, and groups that replicate the
// solver's history exchange gradients. (Xie et al. send such factors
// between machines to save bandwidth, Poseidon, 2017; here they are read
// in place to save the sums.) On the 2-core machine 2 devices train the
// speech DNN 7% faster this way and the MLP about 3%.
//
// TODO: even so, 2 devices of one core each reach 83% (MLP) and 87%
// (speech-dnn) of twice one device on the 2-core machine, short of 90%:
// at half the batch OpenBLAS packs the whole weight matrix for half the
// work, and two busy cores slow each other down (two independent runs at
// half the batch reach 86% and 89%). Replicas sharing packed weights would
// need a matrix product of our own as fast as OpenBLAS (0.3.21 has no
// packing API). Convolutions, whose weight gradient is a product of
// factors too (the unrolled input and the output gradient), still
// exchange gradients: the direct convolution kernels hold no unrolled
// input to share.

// factorGrad computes the weight gradient of the rows of factor segment s
// that this member owns, over every member's samples: for each member in
// rank order, the rows' part of its output gradient, transposed, times its
// input (Note [Sufficient factors]). The members' backward passes must be
// done with the segment's node. It runs on the queue's goroutine.
func (m *member) factorGrad(s int) {
	seg := m.lay.segments[s]
	for _, o := range m.parts[s] {
		r0, r1 := o.part.Lo/seg.cols, o.part.Hi/seg.cols
		dw := blas.Matrix(r1-r0, seg.cols, m.grad[o.lo:o.hi])
		for p, peer := range m.peers {
			x, dy := peer.net.Input(seg.node, 0), peer.net.OutputGrad(seg.node)
			n := x.Batch()
			if n == 0 {
				continue
			}
			beta := float32(1)
			if p == 0 {
				beta = 0
			}
			dyRows := blas.General{Rows: n, Cols: r1 - r0, Stride: seg.rows,
				Data: dy.Data[r0 : (n-1)*seg.rows+r1]}
			m.ctx.BLAS.Sgemm(blas.Trans, blas.NoTrans, 1, dyRows,
				blas.Matrix(n, seg.cols, x.Data[:n*seg.cols]), beta, dw)
		}
	}
}

// rowPartitions cuts factor segment seg into whole rows, one share per
// member of a group of size in rank order: an owner computes its rows'
// gradient.
func rowPartitions(seg segment, size int) []exchange.Range {
	ranges := make([]exchange.Range, 0, size)
	for r := range size {
		lo, hi := share(r, size, seg.rows)
		ranges = append(ranges, exchange.Range{Lo: lo * seg.cols, Hi: hi * seg.cols, Owner: r})
	}
	return ranges
}

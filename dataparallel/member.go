package dataparallel

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/mariana-dl/mariana/checkpoint"
	"github.com/mariana-dl/mariana/device"
	"github.com/mariana-dl/mariana/exchange"
	"github.com/mariana-dl/mariana/layer"
	"github.com/mariana-dl/mariana/model"
	"github.com/mariana-dl/mariana/optim"
	"github.com/mariana-dl/mariana/tensor"
	"github.com/mariana-dl/mariana/train"
)

// member is one replica of the model on one device, with its end of the
// exchange: a rank of the group. Its methods run on the goroutine that
// attached to the device, except where noted.
type member struct {
	rank int
	dev  device.Device
	net  *model.Net
	ctx  layer.Context

	params []*layer.Param
	lay    *layout

	// value and grad are the flat buffers of the parameters and of their
	// gradients (Note [Flat buffers]). Where the transport is an
	// exchange.Allocator they come from it, so that sends to members of
	// other processes on this host pass them by reference; release gives
	// them back. The members of an in-process group share one value
	// buffer (Note [Shared parameters]); shared says so.
	value, grad []float32
	shared      bool

	t      exchange.Transport
	colls  []exchange.Collective // per segment
	uniq   []exchange.Collective // the distinct ones, to close
	seg    *segmented
	queue  *exchange.Queue
	solver *optim.Solver
	kind   string     // the solver's kind of history, or ""
	parts  [][]*owned // per segment, the partitions this member owns

	// replicated: every member keeps the whole history in stateBuf, which
	// is laid out like the parameters. Otherwise stateBuf is only made to
	// gather the history for a checkpoint.
	replicated bool
	stateBuf   []float32

	onDone func(node int)
	step   int64 // the step being trained, for the owner updates

	// peers are the group's members in rank order, this one included,
	// when the group computes factor segments (Note [Sufficient
	// factors]); tick is the buffer of the barrier before each.
	peers []*member
	tick  []float32

	// x and y view this member's share of the current mini-batch, whose
	// first sample is sample offset of the global mini-batch.
	x, y   tensor.Tensor
	offset int
	last   stepFigures
}

// testHookStep, when set by a test, runs at the start of every member's
// step: a test makes a device stall there.
var testHookStep atomic.Pointer[func(rank int, step int64)]

// stepFigures are a member's measurements of its last step.
type stepFigures struct {
	compute, wait, exchange time.Duration
	bytes, stateBytes       uint64
}

// memberSpec is what newMember needs besides the replica.
type memberSpec struct {
	lay      *layout
	plan     Plan
	solver   optim.Config
	kind     string
	cfg      Config
	exchange exchange.Transport

	// value, when not nil, is the parameter buffer the group's in-process
	// members share (Note [Shared parameters]); the first member to use it
	// fills it.
	value []float32
	first bool
}

// newMember makes the member of rank t.Rank() around a replica whose
// parameters are already filled.
func newMember(dev device.Device, g *model.Graph, net *model.Net, ms memberSpec) (*member, error) {
	m := &member{
		rank:       ms.exchange.Rank(),
		dev:        dev,
		net:        net,
		ctx:        dev.Context(),
		params:     g.Params(),
		lay:        ms.lay,
		t:          ms.exchange,
		kind:       ms.kind,
		replicated: ms.cfg.State == ReplicatedState && ms.kind != "",
	}
	var err error
	if ms.value != nil {
		m.value, m.shared = ms.value, true
	} else {
		m.value, err = m.alloc(m.lay.size)
	}
	if err == nil {
		m.grad, err = m.alloc(m.lay.size)
	}
	if err != nil {
		m.release()
		return nil, fmt.Errorf("dataparallel: buffers: %w", err)
	}
	m.lay.bind(m.params, m.value, m.grad, !m.shared || ms.first)
	for _, seg := range m.lay.segments {
		if seg.factor {
			g.Nodes()[seg.node].Layer.(layer.Factored).LeaveWeightGrad(true)
			if m.tick == nil {
				m.tick = make([]float32, m.t.Size())
			}
		}
	}

	// One collective per algorithm in use; segments share them.
	byAlg := map[string]exchange.Collective{}
	for _, sp := range ms.plan.Segments {
		c, ok := byAlg[sp.Plan.Config.Algorithm]
		if !ok {
			if c, err = exchange.New(m.t, sp.Plan.Config); err != nil {
				m.closeCollectives()
				m.release()
				return nil, fmt.Errorf("dataparallel: %w", err)
			}
			byAlg[sp.Plan.Config.Algorithm] = c
			m.uniq = append(m.uniq, c)
		}
		m.colls = append(m.colls, c)
	}

	cfg := ms.solver
	cfg.Threads = m.ctx.Threads
	solver, err := optim.New(cfg)
	if err != nil {
		m.closeCollectives()
		m.release()
		return nil, fmt.Errorf("dataparallel: %w", err)
	}
	m.solver = solver
	m.parts = ownParts(m.lay, m.colls, m.rank, m.params, m.value, m.grad)
	if err := m.prepare(); err != nil {
		m.closeCollectives()
		m.release()
		return nil, err
	}
	if m.replicated {
		m.stateBuf = make([]float32, m.lay.size)
	}
	m.seg = &segmented{m: m, colls: m.colls}
	m.queue = exchange.NewQueue(m.seg, 0)
	m.onDone = m.nodeDone
	m.account()
	return m, nil
}

// prepare creates the solver's history of the owned pieces and links it.
func (m *member) prepare() error {
	var subs []*layer.Param
	for _, seg := range m.parts {
		for _, o := range seg {
			subs = append(subs, o.subs...)
		}
	}
	if err := m.solver.Prepare(subs); err != nil {
		return fmt.Errorf("dataparallel: %w", err)
	}
	return linkHistory(m.parts, m.solver, m.kind)
}

// update runs the owner update of segment s: each partition this member
// owns holds its summed gradient in the gradient buffer, and the solver
// updates its parameters in place in the parameter buffer (Note [Owner
// update]). The owner of the step's statistics copies their sums to the
// parameter buffer, for the all-gather. It runs on the queue's goroutine.
func (m *member) update(s int) {
	for _, o := range m.parts[s] {
		m.solver.Update(m.step, o.subs)
		if o.lo < statsLen {
			copy(m.value[:statsLen], m.grad[:statsLen])
		}
		if m.replicated {
			o.copyHistory(m.stateBuf)
		}
	}
}

// nodeDone starts the exchanges of the segments node i completes: its
// weight's factor segment, then the segment its other parameters close. It
// runs inside the backward pass.
func (m *member) nodeDone(i int) {
	for _, s := range [2]int{m.lay.factorOf[i], m.lay.segOf[i]} {
		if s >= 0 {
			seg := m.lay.segments[s]
			m.queue.Start(m.grad[seg.lo:seg.hi], nil)
		}
	}
}

// trainStep trains this member's share of a step: forward on m.x, m.y,
// backward with each sample's loss weighted by scale, and the exchange
// with the owner updates. It returns the step's statistics summed over the
// group.
func (m *member) trainStep(step int64, scale float32, vote bool) ([statsLen]float32, error) {
	var stats [statsLen]float32
	if hook := testHookStep.Load(); hook != nil {
		(*hook)(m.rank, step)
	}
	m.step = step
	m.ctx.Train, m.ctx.Step, m.ctx.SampleOffset = true, step, m.offset
	busy, sent, state := m.seg.busy.Load(), m.t.Stats().BytesSent, m.seg.stateBytes.Load()
	start := time.Now()

	loss := m.net.Forward(&m.ctx, &m.x, &m.y)
	grad := m.grad
	grad[statLoss] = float32(loss)
	grad[statStop] = 0
	if vote {
		grad[statStop] = 1
	}
	m.net.BackwardNotify(&m.ctx, scale, m.onDone)
	for _, seg := range m.lay.segments {
		if seg.node < 0 { // statistics alone: a network without parameters
			m.queue.Start(grad[seg.lo:seg.hi], nil)
		}
	}
	computed := time.Now()
	err := m.queue.Wait()
	done := time.Now()
	if err != nil {
		return stats, err
	}

	if !m.shared {
		// A shared buffer holds the sums once every owner is done;
		// the group reads them then.
		copy(stats[:], m.value[:statsLen])
	}
	m.last = stepFigures{
		compute:    computed.Sub(start),
		wait:       done.Sub(computed),
		exchange:   time.Duration(m.seg.busy.Load() - busy),
		bytes:      m.t.Stats().BytesSent - sent,
		stateBytes: m.seg.stateBytes.Load() - state,
	}
	m.dev.Memory().Set(device.Activations, m.net.ActivationBytes())
	return stats, nil
}

// evaluate scores this member's share of a test mini-batch in m.x, m.y:
// the sum of the losses and the number classified right.
func (m *member) evaluate() (float64, int) {
	ctx := m.ctx
	ctx.Train = false
	loss := m.net.Forward(&ctx, &m.x, &m.y)
	return loss, m.net.Correct()
}

// gatherState makes stateBuf hold the whole solver history: with owner
// state, every owner contributes its partitions through an all-gather of
// each segment on the segment's collective, whose partitions are the ones
// the member owns. Every member of the group must call it together.
func (m *member) gatherState() error {
	if m.kind == "" {
		return nil
	}
	if m.stateBuf == nil {
		m.stateBuf = make([]float32, m.lay.size)
		m.account()
	}
	if m.replicated {
		return nil // kept whole every step
	}
	for s, seg := range m.lay.segments {
		for _, o := range m.parts[s] {
			o.copyHistory(m.stateBuf)
		}
		if m.shared {
			continue // one buffer for the group (Group.State)
		}
		if err := m.colls[s].AllGather(m.stateBuf[seg.lo:seg.hi]); err != nil {
			return fmt.Errorf("dataparallel: gather the solver state: %w", err)
		}
	}
	return nil
}

// restore loads the parameters and the solver history of a checkpoint
// into this member.
func (m *member) restore(c *checkpoint.Checkpoint, params bool) error {
	if params {
		if err := train.LoadParams(c, m.params); err != nil {
			return err
		}
	}
	state := train.SolverState(c, m.params)
	var buf []float32
	if m.replicated {
		buf = m.stateBuf
	}
	pieces, err := pieceState(m.kind, m.lay, m.params, m.parts, state, buf)
	if err != nil {
		return fmt.Errorf("dataparallel: resume: %w", err)
	}
	if err := m.solver.LoadState(pieces); err != nil {
		return fmt.Errorf("dataparallel: resume: %w", err)
	}
	if err := m.prepare(); err != nil {
		return fmt.Errorf("dataparallel: resume: %w", err)
	}
	return nil
}

// account records the bytes the member holds on its device.
func (m *member) account() {
	mem := m.dev.Memory()
	params := 4 * int64(len(m.value))
	if m.shared {
		// One buffer for the group: each device counts its share.
		params /= int64(m.t.Size())
	}
	mem.Set(device.Parameters, params)
	mem.Set(device.Gradients, 4*int64(len(m.grad)))
	state := m.solver.StateBytes()
	if m.replicated {
		state += 4 * int64(len(m.stateBuf))
	} else {
		transfer := 4 * int64(len(m.stateBuf))
		if m.shared {
			transfer /= int64(m.t.Size()) // one gather buffer for the group
		}
		mem.Set(device.Transfer, transfer)
	}
	mem.Set(device.SolverState, state)
	mem.Set(device.Activations, m.net.ActivationBytes())
}

// close stops the member's queue and collectives; it does not close the
// transport.
func (m *member) close() error {
	var err error
	if m.queue != nil {
		err = m.queue.Close()
		if errors.Is(err, exchange.ErrClosed) {
			err = nil
		}
	}
	m.closeCollectives()
	return err
}

func (m *member) closeCollectives() {
	for _, c := range m.uniq {
		c.Close()
	}
}

// restoreLayers gives the replica's factored layers their weight
// gradients back: the first member's replica is the job's own network,
// which may train alone after the group. Call it where nothing computes on
// the replica.
func (m *member) restoreLayers() {
	for _, seg := range m.lay.segments {
		if seg.factor {
			m.net.Graph().Nodes()[seg.node].Layer.(layer.Factored).LeaveWeightGrad(false)
		}
	}
}

// alloc returns a flat buffer of n values: from the transport when it
// places buffers where peers read them directly, else from the heap.
func (m *member) alloc(n int) ([]float32, error) {
	if a, ok := m.t.(exchange.Allocator); ok {
		return a.Alloc(n)
	}
	return make([]float32, n), nil
}

// release gives the buffers from the transport back, after moving the
// parameters and their gradients to the heap: the group's parameters stay
// readable after Close. The member's queue and collectives must be
// stopped (close), so that no exchange uses the buffers any more.
func (m *member) release() {
	a, ok := m.t.(exchange.Allocator)
	if !ok || m.value == nil && m.grad == nil {
		return
	}
	value, grad := m.value, m.grad
	if value != nil && grad != nil {
		m.value = slices.Clone(value)
		m.grad = slices.Clone(grad)
		m.lay.bind(m.params, m.value, m.grad, true)
	} else {
		m.value, m.grad = nil, nil
	}
	for _, b := range [][]float32{value, grad} {
		if b != nil {
			a.Free(b)
		}
	}
}

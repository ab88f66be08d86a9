package pipeline

import (
	"fmt"
	"time"

	"github.com/mariana-dl/mariana/data"
)

// run is one start of the stages: the queues and signals they share. A
// Seek or an error stops it, and the next Next makes a fresh one, so no
// goroutine of an old run can touch a new one's queues.
type run struct {
	rawFree, rawFull chan *rawBatch
	outFree, outFull chan *outBatch
	quit             chan struct{} // closed to stop every goroutine

	// The preprocess stage hands a share of each batch to each helper
	// goroutine and waits for as many done signals.
	work []chan span
	done chan struct{}
}

// span is samples [lo, hi) of a batch for one preprocessing goroutine.
type span struct {
	raw    *rawBatch
	out    *outBatch
	lo, hi int
}

// start launches the stages at the current position.
func (p *Pipeline) start() *run {
	depth, helpers := p.cfg.Depth, p.cfg.Threads-1
	r := &run{
		rawFree: make(chan *rawBatch, len(p.raws)),
		rawFull: make(chan *rawBatch, depth),
		outFree: make(chan *outBatch, len(p.outs)),
		outFull: make(chan *outBatch, depth),
		quit:    make(chan struct{}),
		work:    make([]chan span, helpers),
		done:    make(chan struct{}, helpers),
	}
	for _, b := range p.raws {
		r.rawFree <- b
	}
	for _, b := range p.outs {
		r.outFree <- b
	}

	p.wg.Add(2 + helpers)
	for i := range r.work {
		r.work[i] = make(chan span, 1)
		go p.helper(r, r.work[i])
	}
	go p.read(r, p.pos)
	go p.preprocess(r)
	p.cur.Store(r)
	p.last = time.Time{}
	return r
}

// stop ends the running stages, if any, and waits for their goroutines.
func (p *Pipeline) stop() {
	r := p.cur.Load()
	if r == nil {
		return
	}
	close(r.quit)
	p.wg.Wait()
	p.cur.Store(nil)
	p.last = time.Time{}
}

// read is the read stage: it fills free raw batches from the files, from
// batch start on, until it is stopped or a read fails. A failed batch
// carries its error downstream and ends the stage.
//
// TODO: one goroutine issues the reads one after another, which is plenty
// for files in the page cache or on an SSD (a batch of CIFAR-10 takes
// well under a millisecond); data on a network file system or a spinning
// disk would want several reads in flight.
func (p *Pipeline) read(r *run, start data.Position) {
	defer p.wg.Done()
	st := &p.stats[stageRead]
	permEpoch := -1

	for pos := start; ; pos = p.advance(pos) {
		clk := clock{last: time.Now()}
		var b *rawBatch
		select {
		case b = <-r.rawFree:
		case <-r.quit:
			return
		}
		clk.lap(&st.waitOut)

		if p.perm != nil && permEpoch != pos.Epoch {
			data.Permute(p.perm, p.cfg.Seed, pos.Epoch)
			permEpoch = pos.Epoch
		}
		err := p.fill(b, pos)
		clk.lap(&st.busy)
		if err == nil {
			st.batches.Add(1)
			st.bytes.Add(int64(b.n * p.recLen))
		}

		select {
		case r.rawFull <- b:
		case <-r.quit:
			return
		}
		clk.lap(&st.waitOut)
		if err != nil {
			return
		}
	}
}

// fill reads the records of the batch at pos into b. Runs of consecutive
// samples, which is every batch without shuffling, take one read each.
func (p *Pipeline) fill(b *rawBatch, pos data.Position) error {
	first := pos.Batch * p.cfg.BatchSize
	n := min(p.cfg.BatchSize, p.src.Len()-first)
	b.pos, b.n, b.err = pos, n, nil
	for i := range n {
		b.indices[i] = int32(first + i)
		if p.perm != nil {
			b.indices[i] = p.perm[first+i]
		}
	}

	for i := 0; i < n; {
		j := i + 1
		for j < n && b.indices[j] == b.indices[j-1]+1 {
			j++
		}
		if err := p.src.ReadRecords(int(b.indices[i]), j-i,
			b.rec[i*p.recLen:j*p.recLen]); err != nil {
			b.err = fmt.Errorf("pipeline: read %v: %w", pos, err)
			return b.err
		}
		i = j
	}

	for i := range n {
		index := int(b.indices[i])
		pix, label, err := p.src.Decode(index, b.rec[i*p.recLen:(i+1)*p.recLen])
		if err == nil && len(pix) != p.imgLen {
			err = fmt.Errorf("sample %d has %d pixel bytes, want %d", index, len(pix),
				p.imgLen)
		}
		if err != nil {
			b.err = fmt.Errorf("pipeline: read %v: %w", pos, err)
			return b.err
		}
		b.pix[i], b.labels[i] = pix, int32(label)
	}
	return nil
}

// preprocess is the preprocess stage: it turns raw batches into network
// inputs, in order, sharing each batch with the helpers.
func (p *Pipeline) preprocess(r *run) {
	defer p.wg.Done()
	st := &p.stats[stagePreprocess]

	for {
		clk := clock{last: time.Now()}
		var raw *rawBatch
		select {
		case raw = <-r.rawFull:
		case <-r.quit:
			return
		}
		clk.lap(&st.waitIn)
		var out *outBatch
		select {
		case out = <-r.outFree:
		case <-r.quit:
			return
		}
		clk.lap(&st.waitOut)

		out.pos, out.n, out.err = raw.pos, raw.n, raw.err
		if raw.err == nil {
			if !p.share(r, raw, out) {
				return
			}
			st.batches.Add(1)
			st.bytes.Add(int64(out.n*(p.outLen+1)) * 4)
		}
		clk.lap(&st.busy)

		select {
		case r.outFull <- out:
		case <-r.quit:
			return
		}
		r.rawFree <- raw // room for every raw batch: never blocks
		clk.lap(&st.waitOut)
	}
}

// share preprocesses raw into out, split in contiguous spans over this
// goroutine and the helpers. It reports false when the run was stopped
// meanwhile.
func (p *Pipeline) share(r *run, raw *rawBatch, out *outBatch) bool {
	parts := min(len(r.work)+1, raw.n)
	chunk, extra := raw.n/parts, raw.n%parts
	lo := 0
	for k := range parts {
		hi := lo + chunk
		if k < extra {
			hi++
		}
		if k == parts-1 {
			p.preprocessRange(raw, out, lo, hi)
			break
		}
		r.work[k] <- span{raw: raw, out: out, lo: lo, hi: hi}
		lo = hi
	}
	for range parts - 1 {
		select {
		case <-r.done:
		case <-r.quit:
			return false
		}
	}
	return true
}

// helper preprocesses the spans it is given until the run stops.
func (p *Pipeline) helper(r *run, work <-chan span) {
	defer p.wg.Done()
	for {
		select {
		case s := <-work:
			p.preprocessRange(s.raw, s.out, s.lo, s.hi)
			r.done <- struct{}{}
		case <-r.quit:
			return
		}
	}
}

// preprocessRange preprocesses samples [lo, hi) of raw into out.
func (p *Pipeline) preprocessRange(raw *rawBatch, out *outBatch, lo, hi int) {
	g := p.geom
	for i := lo; i < hi; i++ {
		oy, ox, mirror := (g.offsetsY()-1)/2, (g.offsetsX()-1)/2, false
		if p.cfg.Train {
			oy, ox, mirror = augment(p.cfg.Seed, raw.pos.Epoch, raw.indices[i],
				g.offsetsY(), g.offsetsX())
			mirror = mirror && p.cfg.Mirror
		}
		p.prep.sample(out.x[i*p.outLen:(i+1)*p.outLen], raw.pix[i], oy, ox, mirror)
		out.labels[i] = float32(raw.labels[i])
	}
}

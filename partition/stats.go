package partition

import "time"

// WorkerStats is what one worker has done since its run started.
type WorkerStats struct {
	Group, Partition int

	// Device names the worker's device, such as "cpu:1".
	Device string

	// Steps is the number of training steps done.
	Steps int64

	// Forward and Backward are the time spent computing the two passes,
	// Wait the time spent in them waiting for Transfer Layers, Exchange
	// the time spent summing gradients with the other groups, Update the
	// time spent in the solver. Evaluation counts in Forward and Wait.
	Forward, Backward, Wait, Exchange, Update time.Duration

	// TransferBytes is what the worker's Transfer Layers carried, both
	// ways: activations in, gradients back. ExchangeBytes is what the
	// worker sent in gradient exchanges.
	TransferBytes, ExchangeBytes int64

	// Memory is the device's account by kind, as device.Memory.Snapshot
	// gives it: parameters, gradients, solver_state, activations,
	// transfer, total and peak.
	Memory map[string]int64
}

// Stats returns every worker's figures, group by group. Call it between
// steps.
func (r *Runner) Stats() []WorkerStats {
	out := make([]WorkerStats, 0, len(r.all))
	for _, w := range r.all {
		s := w.stats
		for _, o := range w.ops {
			if o.recv != nil {
				s.TransferBytes += o.recv.bytes.Load()
			}
		}
		if r.exch != nil {
			s.ExchangeBytes = r.exch[w.part].sent(w.group)
		}
		s.Memory = w.dev.Memory().Snapshot()
		out = append(out, s)
	}
	return out
}

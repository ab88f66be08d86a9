package device

import (
	"fmt"
	"sync/atomic"
)

// Kind is a category of the bytes a device holds.
type Kind int

// The kinds of memory a device accounts for.
const (
	Parameters Kind = iota
	Gradients
	SolverState
	Activations
	Transfer // buffers of Transfer Layers and exchange
	kinds
)

var kindNames = [kinds]string{"parameters", "gradients", "solver_state", "activations", "transfer"}

// String returns the kind's snake_case name, as used in logs.
func (k Kind) String() string {
	if k < 0 || k >= kinds {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// Memory counts the bytes a device holds, by kind, and the peak of their
// total. It is safe for concurrent use; the zero value is empty.
type Memory struct {
	bytes [kinds]atomic.Int64
	peak  atomic.Int64
}

// Set records that the device now holds n bytes of kind k.
func (m *Memory) Set(k Kind, n int64) {
	m.bytes[k].Store(n)
	total := m.Total()
	for {
		p := m.peak.Load()
		if total <= p || m.peak.CompareAndSwap(p, total) {
			return
		}
	}
}

// Bytes returns the bytes of kind k the device holds.
func (m *Memory) Bytes(k Kind) int64 { return m.bytes[k].Load() }

// Total returns the bytes of every kind the device holds.
func (m *Memory) Total() int64 {
	var t int64
	for k := range m.bytes {
		t += m.bytes[k].Load()
	}
	return t
}

// Peak returns the largest total seen by Set.
func (m *Memory) Peak() int64 { return m.peak.Load() }

// Snapshot returns the bytes held of every kind, by name, with "total" and
// "peak".
func (m *Memory) Snapshot() map[string]int64 {
	s := make(map[string]int64, kinds+2)
	for k := Kind(0); k < kinds; k++ {
		s[k.String()] = m.Bytes(k)
	}
	s["total"] = m.Total()
	s["peak"] = m.Peak()
	return s
}

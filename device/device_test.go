package device

import "testing"

func TestSplitCPUsSharesThreads(t *testing.T) {
	for _, tc := range []struct {
		n, threads int
		want       []int
	}{
		{1, 2, []int{2}}, {2, 2, []int{1, 1}}, {3, 8, []int{3, 3, 2}}, {4, 2, []int{1, 1, 1, 1}},
	} {
		devs, err := SplitCPUs(tc.n, tc.threads)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range devs {
			if d.Threads() != tc.want[i] {
				t.Errorf("n=%d threads=%d: device %d has %d threads, want %d",
					tc.n, tc.threads, i, d.Threads(), tc.want[i])
			}
			if ctx := d.Context(); ctx.Threads != d.Threads() || ctx.BLAS.Threads() != d.Threads() {
				t.Errorf("%s: context uses %d threads and BLAS %d, want %d",
					d.Name(), ctx.Threads, ctx.BLAS.Threads(), d.Threads())
			}
		}
	}
	if _, err := SplitCPUs(0, 2); err == nil {
		t.Error("0 devices accepted")
	}
}

func TestMemoryTracksKindsAndPeak(t *testing.T) {
	var m Memory
	m.Set(Parameters, 100)
	m.Set(Activations, 50)
	m.Set(Activations, 10)
	if m.Total() != 110 || m.Peak() != 150 || m.Bytes(Parameters) != 100 {
		t.Fatalf("total %d peak %d params %d, want 110 150 100", m.Total(), m.Peak(),
			m.Bytes(Parameters))
	}
	if s := m.Snapshot(); s["activations"] != 10 || s["total"] != 110 {
		t.Errorf("snapshot %v", s)
	}
}

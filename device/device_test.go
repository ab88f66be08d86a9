package device

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
)

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

func TestSplitPinnedCPUsGivesDisjointCores(t *testing.T) {
	allowed := AllowedCores()
	if !pinSupported || len(allowed) < 2 {
		t.Skipf("needs 2 cores to pin to, have %v", allowed)
	}
	devs, err := SplitPinnedCPUs(2, 2)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, d := range devs {
		if len(d.Cores()) != d.Threads() {
			t.Fatalf("%s: %d threads on cores %v", d, d.Threads(), d.Cores())
		}
		for _, c := range d.Cores() {
			if seen[c] {
				t.Fatalf("core %d given to two devices", c)
			}
			seen[c] = true
		}
	}

	// More threads than cores: no pinning, the budget is still honoured.
	over, err := SplitPinnedCPUs(2, 2*len(allowed)+2)
	if err != nil {
		t.Fatal(err)
	}
	if over[0].Cores() != nil || over[0].Threads() != len(allowed)+1 {
		t.Errorf("oversubscribed split: %s", over[0])
	}
}

// TestAttachPinsTheThread attaches a goroutine to each device and checks
// from inside that its thread may only run on the device's cores, and that
// detaching gives the thread its old mask back.
func TestAttachPinsTheThread(t *testing.T) {
	allowed := AllowedCores()
	if !pinSupported || len(allowed) < 2 {
		t.Skipf("needs 2 cores to pin to, have %v", allowed)
	}
	devs, err := SplitPinnedCPUs(2, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		done := make(chan string)
		go func() {
			detach, err := d.Attach()
			if err != nil {
				done <- err.Error()
				return
			}
			inside := AllowedCores()
			detach()
			runtime.LockOSThread()
			after := AllowedCores()
			runtime.UnlockOSThread()
			if !slices.Equal(inside, d.Cores()) {
				done <- fmt.Sprintf("%s: attached thread runs on %v", d, inside)
				return
			}
			if !slices.Equal(after, allowed) {
				done <- fmt.Sprintf("%s: detached thread runs on %v, want %v", d, after, allowed)
				return
			}
			done <- ""
		}()
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}

func TestCoreListsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		text  string
		cores []int
	}{
		{"0", []int{0}}, {"0-3,6", []int{0, 1, 2, 3, 6}}, {"1,3,5-6", []int{1, 3, 5, 6}},
	} {
		got, err := ParseCores(tc.text)
		if err != nil || !slices.Equal(got, tc.cores) {
			t.Errorf("ParseCores(%q) = %v, %v; want %v", tc.text, got, err, tc.cores)
		}
		if s := FormatCores(tc.cores); s != tc.text {
			t.Errorf("FormatCores(%v) = %q, want %q", tc.cores, s, tc.text)
		}
	}
	for _, bad := range []string{"", "a", "3-1", "-1", "0,,1", "99999"} {
		if _, err := ParseCores(bad); err == nil {
			t.Errorf("ParseCores(%q) accepted", bad)
		}
	}
}

// TestContextRunsLoopsOnThePool checks that a device of several threads
// hands out contexts that share one persistent pool of its size, that the
// pool covers a loop, and that a one-thread device needs none.
func TestContextRunsLoopsOnThePool(t *testing.T) {
	d := NewCPU(0, 3)
	a, b := d.Context(), d.Context()
	if a.Pool == nil || a.Pool != b.Pool || a.Pool.Threads() != 3 {
		t.Fatalf("contexts of a 3-thread device: pools %p and %p", a.Pool, b.Pool)
	}
	seen := make([]int, 100)
	a.For(len(seen), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			seen[i]++
		}
	})
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("element %d visited %d times", i, n)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if ctx := NewCPU(1, 1).Context(); ctx.Pool != nil {
		t.Error("a one-thread device started a pool")
	}
	if err := NewCPU(2, 4).Close(); err != nil {
		t.Errorf("closing a device that never computed: %v", err)
	}
}

package partition

import (
	"testing"

	"github.com/mariana-dl/mariana/spec"
)

// TestStepsDoNotAllocate checks that a step in the steady state allocates
// nothing: the buffers are sized by the first step and reused.
func TestStepsDoNotAllocate(t *testing.T) {
	s := parse(t, columnsNet)
	for _, cfg := range []Config{
		{Groups: 1, Workers: 2, Split: spec.SplitColumns},
		{Groups: 2, Workers: 2, Split: spec.SplitColumns},
	} {
		r := build(t, s, cfg)
		x, y := batch(1, 8, s.Model.Input, 8)
		if _, err := r.Step(x, y); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(5, func() {
			if _, err := r.Step(x, y); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 0 {
			t.Errorf("%dx%d: a step allocates %.0f times", cfg.Groups, cfg.Workers, allocs)
		}
	}
}

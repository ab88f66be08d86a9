package waits

import (
	"slices"
	"testing"
	"time"
)

func TestWalk(t *testing.T) {
	s := time.Second
	graph := map[int][]Wait{
		0: {{1, 2 * s}},
		1: {{0, 3 * s}, {2, 2 * s}},
		2: {{3, 10 * time.Millisecond}}, // just arrived from a long compute
		3: nil,
		4: {{5, 3 * s}},
		5: {{4, 3 * s}},
	}
	of := func(r int) ([]Wait, bool) {
		ws, ok := graph[r]
		return ws, ok || r == 3
	}
	cases := []struct {
		self, start int
		path        []int
		v           Verdict
		text        string
	}{
		{0, 1, []int{0, 1, 2}, Idle,
			"rank 2 takes no part in the exchange (rank 0 waits on 1, 1 on 2)"},
		{2, 3, []int{2, 3}, Idle, "rank 3 takes no part in the exchange"},
		{0, 4, []int{0, 4, 5}, Cycle, "rank 5 waits on a member that waits on it: " +
			"the members are out of step (rank 0 waits on 4, 4 on 5)"},
		{0, 9, []int{0, 9}, Silent, "rank 9 does not answer"},
	}
	for _, c := range cases {
		path, v := Walk(c.self, c.start, 2*s, of)
		if !slices.Equal(path, c.path) || v != c.v {
			t.Errorf("Walk(%d, %d) = %v, %v; want %v, %v", c.self, c.start, path, v, c.path, c.v)
		}
		if got := Describe(path, v); got != c.text {
			t.Errorf("Describe = %q, want %q", got, c.text)
		}
	}
}

// Package waits finds the member that holds a group up. When a member
// has waited too long on a peer, the peer is not necessarily the culprit:
// it may itself be waiting on a third member, which has stopped taking
// part. Walk follows who waits on whom from the peer to the end of the
// chain, so the timeout error names the member that is actually stuck.
package waits

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Wait is one blocked operation of a member: it has waited For on Rank.
type Wait struct {
	Rank int
	For  time.Duration
}

// Verdict says why the walk stopped at its culprit.
type Verdict int

const (
	// Idle: the culprit waits on nobody; it is not in the exchange at
	// all, stuck or busy elsewhere.
	Idle Verdict = iota

	// Silent: the culprit did not say what it waits on.
	Silent

	// Cycle: the culprit waits on a member already on the path, so the
	// members wait on each other: they called different operations.
	Cycle
)

// Of returns the waits of member rank, longest first, and false if it
// cannot tell (a remote member that did not answer).
type Of func(rank int) ([]Wait, bool)

// Walk starts at member start, on which member self has waited for
// waited, and follows from each member its longest wait that has lasted
// at least half of waited (a shorter wait means the member only just
// arrived: it is the one that was late) and leads off the path. It
// returns the path from self to the culprit and why the walk stopped
// there.
func Walk(self, start int, waited time.Duration, of Of) (path []int, v Verdict) {
	path = []int{self, start}
	for {
		cur := path[len(path)-1]
		ws, ok := of(cur)
		if !ok {
			return path, Silent
		}
		next, waiting := -1, false
		for _, w := range ws {
			if w.For >= waited/2 {
				waiting = true
				if !slices.Contains(path, w.Rank) {
					next = w.Rank
					break
				}
			}
		}
		switch {
		case !waiting:
			return path, Idle
		case next < 0:
			return path, Cycle
		}
		path = append(path, next)
	}
}

// Describe says in words what Walk found, for an error message: "rank 2
// takes no part in the exchange (rank 0 waits on 1, 1 on 2)".
func Describe(path []int, v Verdict) string {
	culprit := path[len(path)-1]
	var b strings.Builder
	switch v {
	case Idle:
		fmt.Fprintf(&b, "rank %d takes no part in the exchange", culprit)
	case Silent:
		fmt.Fprintf(&b, "rank %d does not answer", culprit)
	case Cycle:
		fmt.Fprintf(&b, "rank %d waits on a member that waits on it: the members are out of step",
			culprit)
	}
	if len(path) > 2 {
		fmt.Fprintf(&b, " (rank %d waits on %d", path[0], path[1])
		for i := 2; i < len(path); i++ {
			fmt.Fprintf(&b, ", %d on %d", path[i-1], path[i])
		}
		b.WriteString(")")
	}
	return b.String()
}

//go:build unix

package tcp

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestStoppedPeerIsNamed SIGSTOPs one of three member processes: its
// connections stay up, so only the timeout can tell, and every survivor
// must fail within it (and the time its probes take) naming the stopped
// member.
func TestStoppedPeerIsNamed(t *testing.T) {
	if os.Getenv(memberEnv) != "" {
		t.Skip("member process")
	}
	paths(t, func(t *testing.T, noShm bool) {
		const n, victim = 3, 1
		m := startMembers(t, n, noShm)
		victimProc := m.cmds[victim].Process
		if err := victimProc.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		stopped := time.Now()

		for r := range m.cmds {
			if r == victim {
				continue
			}
			line := m.next(t, r, stopped.Add(memberIOTimeout+5*time.Second))
			t.Logf("rank %d after %v: %s", r, time.Since(stopped).Round(time.Millisecond), line)
			want := fmt.Sprintf("error: exchange: rank %d (%s): ", victim, m.addrs[victim])
			if !strings.HasPrefix(line, want) || !strings.Contains(line, "timed out") {
				t.Errorf("rank %d: %q, want a timeout naming rank %d", r, line, victim)
			}
		}
		m.checkNoRingFiles(t)
	})
}

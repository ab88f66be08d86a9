package tcp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/exchange"
)

// memberEnv carries "rank addr0,addr1,... path dir" to a member process,
// where path is "shm" or "tcp" and dir the directory of its ring files;
// its listener is file descriptor 3.
const memberEnv = "MARIANA_EXCHANGE_TEST_MEMBER"

// memberIOTimeout is the member processes' I/O timeout.
const memberIOTimeout = 2 * time.Second

// TestMemberProcess is not a test on its own: startMembers runs the test
// binary again with memberEnv set, and this function is then one member
// of a TCP group. It prints "ready" after its first exchange and
// "error: ..." when an exchange fails, and exits.
func TestMemberProcess(t *testing.T) {
	spec := os.Getenv(memberEnv)
	if spec == "" {
		t.Skip("only runs as a member process of the tests that start processes")
	}
	fields := strings.Fields(spec)
	rank, _ := strconv.Atoi(fields[0])
	ln, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	addrs := strings.Split(fields[1], ",")
	noShm := fields[2] != "shm"
	tr, err := Connect(context.Background(), Config{Rank: rank, Addrs: addrs, JobID: "kill",
		Listener: ln, DialTimeout: 10 * time.Second, IOTimeout: memberIOTimeout,
		NoSharedMemory: noShm, SharedMemoryDir: fields[3]})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for r := range addrs {
		if send, recv := tr.SharedMemory(r); r != rank && (send != !noShm || recv != !noShm) {
			fmt.Printf("error: shared memory with rank %d: to %v, from %v\n", r, send, recv)
			os.Exit(1)
		}
	}
	c, err := exchange.New(tr, exchange.Config{Algorithm: exchange.Ring})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}

	// Over shared memory the buffer is shared too, so that the members
	// exchange by reference when one is killed.
	buf, err := tr.Alloc(1 << 14)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		for j := range buf {
			buf[j] = float32(rank)
		}
		if err := c.AllReduce(buf); err != nil {
			fmt.Println("error:", err)
			os.Exit(0)
		}
		if i == 0 {
			if refs := tr.byRef.Load(); (refs != 0) == noShm {
				fmt.Printf("error: %d messages by reference\n", refs)
				os.Exit(1)
			}
			fmt.Println("ready")
		}
		time.Sleep(time.Millisecond) // the machine is shared
	}
}

// TestKilledPeerFailsSurvivors runs three member processes exchanging in
// a loop, SIGKILLs one, and checks that the other two fail with an error
// naming it, within the I/O timeout. Over shared memory, where members
// send from their buffers by reference, the connection still tells of
// the death, and the killed member leaves no ring or buffer file.
func TestKilledPeerFailsSurvivors(t *testing.T) {
	if os.Getenv(memberEnv) != "" {
		t.Skip("member process")
	}
	paths(t, func(t *testing.T, noShm bool) {
		const n, victim = 3, 2
		m := startMembers(t, n, noShm)
		if err := m.cmds[victim].Process.Kill(); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		for r := range m.cmds {
			if r == victim {
				continue
			}
			// The timeout is the promise; the slack only absorbs a loaded
			// machine. A dead process is usually noticed at once. Every
			// survivor names the dead member: on its own connection to
			// it, or through the abort frame of the first to notice,
			// which reaches it before that member's connection ends
			// (Note [Abort before the end]).
			line := m.next(t, r, killed.Add(memberIOTimeout+5*time.Second))
			want := fmt.Sprintf("error: exchange: rank %d (%s)", victim, m.addrs[victim])
			if !strings.HasPrefix(line, want) {
				t.Errorf("rank %d: %q does not name the killed rank %d (%s)", r, line, victim,
					m.addrs[victim])
			}
			t.Logf("rank %d after %v: %s", r, time.Since(killed).Round(time.Millisecond), line)
		}
		m.checkNoRingFiles(t)
	})
}

// members are member processes started by startMembers.
type members struct {
	cmds   []*exec.Cmd
	lines  []chan string
	addrs  []string
	shmDir string
}

// startMembers starts n member processes that exchange in a loop, over
// shared memory unless noShm, and waits until each has said "ready". The
// test kills them at the end.
func startMembers(t *testing.T, n int, noShm bool) *members {
	lns, addrs := listeners(t, n)
	m := &members{cmds: make([]*exec.Cmd, n), lines: make([]chan string, n), addrs: addrs,
		shmDir: t.TempDir()}
	path := "shm"
	if noShm {
		path = "tcp"
	}
	for r := range m.cmds {
		f, err := lns[r].(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		lns[r].Close()
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemberProcess$", "-test.count=1")
		spec := fmt.Sprintf("%s=%d %s %s %s", memberEnv, r, strings.Join(addrs, ","), path,
			m.shmDir)
		cmd.Env = append(os.Environ(), spec)
		cmd.ExtraFiles = []*os.File{f}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		m.cmds[r] = cmd
		m.lines[r] = make(chan string, 16)
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		go func() {
			s := bufio.NewScanner(out)
			for s.Scan() {
				m.lines[r] <- s.Text()
			}
			close(m.lines[r])
		}()
	}

	start := time.Now().Add(20 * time.Second)
	for r := range m.cmds {
		if line := m.next(t, r, start); line != "ready" {
			t.Fatalf("rank %d: %s", r, line)
		}
	}
	return m
}

// next returns member r's next line of interest, or fails t when none
// comes before the deadline: a member that hangs is a failure.
func (m *members) next(t *testing.T, r int, deadline time.Time) string {
	t.Helper()
	for {
		select {
		case line, ok := <-m.lines[r]:
			if !ok {
				t.Fatalf("rank %d exited without a word", r)
			}
			if line == "ready" || strings.HasPrefix(line, "error: ") {
				return line
			}
		case <-time.After(time.Until(deadline)):
			t.Fatalf("rank %d said nothing before the deadline: it hangs", r)
		}
	}
}

// checkNoRingFiles fails t if a ring file is left in the members'
// directory: each is unlinked as soon as both members have mapped it.
func (m *members) checkNoRingFiles(t *testing.T) {
	t.Helper()
	left, err := os.ReadDir(m.shmDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("ring file %s left in %s", e.Name(), m.shmDir)
	}
}

package checkpoint

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/tensor"
)

// Environment of the child process that TestWriteSurvivesKill starts.
const (
	crashStepEnv = "MARIANA_CHECKPOINT_CRASH_STEP" // where to stop: a crashPoint step or "loop"
	crashPathEnv = "MARIANA_CHECKPOINT_CRASH_PATH" // the checkpoint to overwrite
)

// bigCheckpoint returns 16 MiB of tensors whose every value depends on
// version, so a mix of two versions cannot pass [checkVersion].
func bigCheckpoint(version int) *Checkpoint {
	c := New()
	for k := range 4 {
		t := tensor.New(1024, 1024)
		for i := range t.Data {
			t.Data[i] = float32(version*1000003 + k*7919 + i)
		}
		c.Add("layer"+strconv.Itoa(k)+".weight", t)
	}
	c.Metadata["version"] = strconv.Itoa(version)
	return c
}

// checkVersion returns the version of a checkpoint made by bigCheckpoint,
// or an error if any value disagrees with it.
func checkVersion(c *Checkpoint) (int, error) {
	version, err := strconv.Atoi(c.Metadata["version"])
	if err != nil {
		return 0, fmt.Errorf("metadata %v", c.Metadata)
	}
	want := bigCheckpoint(version)
	if len(c.Names) != len(want.Names) {
		return 0, fmt.Errorf("%d tensors", len(c.Names))
	}
	for _, name := range want.Names {
		got, w := c.Tensors[name], want.Tensors[name]
		if got == nil || !got.Shape.Equal(w.Shape) {
			return 0, fmt.Errorf("tensor %q missing or reshaped", name)
		}
		for i := range w.Data {
			if got.Data[i] != w.Data[i] {
				return 0, fmt.Errorf("tensor %q value %d is %v, version %d has %v", name, i,
					got.Data[i], version, w.Data[i])
			}
		}
	}
	return version, nil
}

// TestCrashChild is the process that TestWriteSurvivesKill kills: it
// writes version 2 over the checkpoint and stops at the crash point named
// in its environment, announcing it on stdout. Run alone, it skips.
func TestCrashChild(t *testing.T) {
	step, path := os.Getenv(crashStepEnv), os.Getenv(crashPathEnv)
	if step == "" || path == "" {
		t.Skip("run as a child process by TestWriteSurvivesKill")
	}

	if step == "loop" {
		// Write new versions without stopping; the parent kills the
		// process wherever it happens to be after version 3.
		for version := 2; ; version++ {
			if err := Write(path, bigCheckpoint(version)); err != nil {
				t.Fatal(err)
			}
			fmt.Println("wrote " + strconv.Itoa(version))
		}
	}
	crashPoint = func(reached string) {
		if reached == step {
			fmt.Println("crash point " + reached)
			time.Sleep(time.Hour)
		}
	}
	if err := Write(path, bigCheckpoint(2)); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("Write finished without reaching %q", step)
}

// A process killed with SIGKILL at any point of Write leaves the target
// complete, old or new, and nothing that confuses Latest.
func TestWriteSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, c := range []struct {
		step     string
		version  int  // the version the target must hold; 0: 3 or later
		tempSize int8 // the temporary file: -1 none, 0 partial, 1 complete
	}{
		{"created", 1, 0},
		{"halfway", 1, 0},
		{"synced", 1, 1},
		{"renamed", 2, -1},
		{"loop", 0, -2}, // wherever it was: not checked
	} {
		t.Run(c.step, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName(100))
			if err := Write(path, bigCheckpoint(1)); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			size := st.Size()

			if c.step == "loop" {
				killChildAfter(t, "loop", path, "wrote 3")
			} else {
				killChildAfter(t, c.step, path, "crash point "+c.step)
			}

			got, err := Read(path)
			if err != nil {
				t.Fatalf("after the kill the checkpoint does not read: %v", err)
			}
			version, err := checkVersion(got)
			if err != nil {
				t.Fatalf("after the kill the checkpoint mixes versions: %v", err)
			}
			if c.version != 0 && version != c.version || c.version == 0 && version < 3 {
				t.Fatalf("killed at %s: version %d, want %d", c.step, version, c.version)
			}

			// The temporary file shows where the kill landed.
			temps, _ := filepath.Glob(filepath.Join(dir, "."+FileName(100)+tempMarker+"*"))
			switch {
			case c.tempSize == -1 && len(temps) != 0:
				t.Errorf("killed at %s: temporary files %v", c.step, temps)
			case c.tempSize >= 0 && len(temps) != 1:
				t.Errorf("killed at %s: temporary files %v, want one", c.step, temps)
			case c.tempSize >= 0:
				st, err := os.Stat(temps[0])
				if err != nil {
					t.Fatal(err)
				}
				if complete := st.Size() == size; complete != (c.tempSize == 1) {
					t.Errorf("killed at %s: temporary file of %d bytes, the checkpoint has %d",
						c.step, st.Size(), size)
				}
			}

			found, err := Latest(dir)
			if err != nil || found.Path != path || len(found.Skipped) != 0 {
				t.Fatalf("Latest: %+v, %v", found, err)
			}
			if err := Prune(dir, 1); err != nil {
				t.Fatal(err)
			}
			if items, _ := os.ReadDir(dir); len(items) != 1 {
				t.Errorf("after Prune the directory holds %d files, want 1", len(items))
			}
		})
	}
}

// killChildAfter runs TestCrashChild in a new process of this test binary,
// waits until it prints line, and kills it with SIGKILL.
func killChildAfter(t *testing.T, step, path, line string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashStepEnv+"="+step, crashPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()

	var seen []string
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		seen = append(seen, lines.Text())
		if lines.Text() == line {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()
			return
		}
	}
	t.Fatalf("the child ended without printing %q; it said:\n%s", line,
		strings.Join(seen, "\n"))
}

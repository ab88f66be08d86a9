//go:build cgo

package auto

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// missingEnv, when set, makes TestFallsBackWithoutLibrary report what New
// picked instead of testing: it runs in a child process whose OpenBLAS
// cannot load.
const missingEnv = "MARIANA_AUTO_TEST_CHILD"

func TestPicksOpenBLASWithCgo(t *testing.T) {
	if os.Getenv(missingEnv) != "" {
		t.Skip("child process of TestFallsBackWithoutLibrary")
	}
	if name := New(1).Name(); name != "openblas" {
		t.Errorf("with cgo, New(1).Name() = %q, want openblas (%s)", name, Reason())
	}
	if r := Reason(); r != "" {
		t.Errorf("Reason() = %q with OpenBLAS loaded, want \"\"", r)
	}
}

// TestFallsBackWithoutLibrary runs this test binary again with an OpenBLAS
// path that does not exist: New must give the pure-Go products, and Reason
// must name the path, instead of the process failing.
func TestFallsBackWithoutLibrary(t *testing.T) {
	if os.Getenv(missingEnv) != "" {
		t.Logf("picked=%s reason=%s", New(2).Name(), Reason())
		return
	}

	const missing = "/nonexistent/libopenblas.so.0"
	cmd := exec.Command(os.Args[0], "-test.run=^TestFallsBackWithoutLibrary$", "-test.v")
	cmd.Env = append(os.Environ(), missingEnv+"=1", "MARIANA_OPENBLAS="+missing)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "picked=native") {
		t.Errorf("without a library New did not fall back to native:\n%s", out)
	}
	if !strings.Contains(string(out), missing) {
		t.Errorf("the reason does not name the library tried, %s:\n%s", missing, out)
	}
}

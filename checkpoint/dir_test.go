package checkpoint

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mariana-dl/mariana/tensor"
)

// stepCheckpoint returns a small checkpoint that records step in a tensor
// and in the metadata.
func stepCheckpoint(t testing.TB, step int64) *Checkpoint {
	t.Helper()
	c := New()
	v, _ := tensor.FromData(tensor.Shape{2}, []float32{float32(step), -float32(step)})
	if err := c.Add("w", v); err != nil {
		t.Fatal(err)
	}
	c.Metadata["step"] = strconv.FormatInt(step, 10)
	return c
}

func TestFileName(t *testing.T) {
	if got := FileName(1200); got != "ckpt-000001200.safetensors" {
		t.Errorf("FileName(1200) = %q", got)
	}
	if got := FileName(12345678901); got != "ckpt-12345678901.safetensors" {
		t.Errorf("FileName(12345678901) = %q", got)
	}
	for name, want := range map[string]int64{
		"ckpt-000001200.safetensors":   1200,
		"ckpt-000000000.safetensors":   0,
		"ckpt-12345678901.safetensors": 12345678901,
	} {
		if step, ok := ParseFileName(name); !ok || step != want {
			t.Errorf("ParseFileName(%q) = %d, %v", name, step, ok)
		}
	}
	for _, name := range []string{
		"ckpt-1200.safetensors", "ckpt-0000001200.safetensors", "ckpt--00001200.safetensors",
		"ckpt-000001200.safetensors.tmp-1", ".ckpt-000001200.safetensors.tmp-77",
		"model.safetensors", "ckpt-00000x200.safetensors",
	} {
		if _, ok := ParseFileName(name); ok {
			t.Errorf("ParseFileName(%q) accepted", name)
		}
	}
}

func TestSaveKeepsNewest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	for _, step := range []int64{100, 200, 300, 400, 500} {
		path, err := Save(dir, step, stepCheckpoint(t, step), 3)
		if err != nil {
			t.Fatal(err)
		}
		if path != filepath.Join(dir, FileName(step)) {
			t.Errorf("Save returned %s", path)
		}
	}
	if got := steps(t, dir); !slices.Equal(got, []int64{300, 400, 500}) {
		t.Errorf("after saving 5 keeping 3: steps %v", got)
	}

	// A resumed run that went back to step 300 leaves later files alone.
	if _, err := Save(dir, 350, stepCheckpoint(t, 350), 2); err != nil {
		t.Fatal(err)
	}
	if got := steps(t, dir); !slices.Equal(got, []int64{300, 350, 400, 500}) {
		t.Errorf("after saving step 350 keeping 2: steps %v", got)
	}

	if err := Prune(dir, 1); err != nil {
		t.Fatal(err)
	}
	if got := steps(t, dir); !slices.Equal(got, []int64{500}) {
		t.Errorf("after Prune(1): steps %v", got)
	}
	if err := Prune(dir, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("Prune(0): %v", err)
	}
	if _, err := Save(dir, -1, stepCheckpoint(t, 1), 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative step: %v", err)
	}
}

// steps lists the steps of the checkpoints in dir.
func steps(t *testing.T, dir string) []int64 {
	t.Helper()
	entries, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, e := range entries {
		out = append(out, e.Step)
	}
	return out
}

func TestLatestSkipsDamaged(t *testing.T) {
	dir := t.TempDir()
	for _, step := range []int64{10, 20, 30, 40} {
		if _, err := Save(dir, step, stepCheckpoint(t, step), 0); err != nil {
			t.Fatal(err)
		}
	}

	// Step 40 is torn, step 30 has a flipped header byte; step 20 is
	// fine. Step 5 (in the wrong order on disk) and a stray file are noise.
	torn := filepath.Join(dir, FileName(40))
	if err := os.Truncate(torn, 50); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, FileName(30))
	b, err := os.ReadFile(corrupt)
	if err != nil {
		t.Fatal(err)
	}
	b[8] = '['
	if err := os.WriteFile(corrupt, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Save(dir, 5, stepCheckpoint(t, 5), 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}

	found, err := Latest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if found.Step != 20 || found.Path != filepath.Join(dir, FileName(20)) ||
		found.Checkpoint.Metadata["step"] != "20" || found.Checkpoint.Tensors["w"].Data[0] != 20 {
		t.Fatalf("Latest = step %d at %s, metadata %v", found.Step, found.Path,
			found.Checkpoint.Metadata)
	}
	if len(found.Skipped) != 2 || found.Skipped[0].Path != torn ||
		found.Skipped[1].Path != corrupt || !errors.Is(found.Skipped[0].Err, ErrTruncated) ||
		!errors.Is(found.Skipped[1].Err, ErrCorrupt) {
		t.Fatalf("skipped %+v", found.Skipped)
	}
}

func TestLatestNone(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "never-created")
	if _, err := Latest(missing); !errors.Is(err, ErrNoCheckpoint) {
		t.Errorf("missing directory: %v", err)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, FileName(7))
	if err := os.WriteFile(path, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Latest(dir)
	if !errors.Is(err, ErrNoCheckpoint) || !errors.Is(err, ErrCorrupt) ||
		!strings.Contains(err.Error(), path) {
		t.Errorf("only a damaged file: error %v, want one naming it", err)
	}
}

func TestPruneRemovesTempFiles(t *testing.T) {
	dir := t.TempDir()
	if _, err := Save(dir, 1, stepCheckpoint(t, 1), 0); err != nil {
		t.Fatal(err)
	}
	temp := filepath.Join(dir, "."+FileName(2)+tempMarker+"12345")
	other := filepath.Join(dir, ".keep-me.tmp-1")
	for _, p := range []string{temp, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if found, err := Latest(dir); err != nil || found.Step != 1 || len(found.Skipped) != 0 {
		t.Fatalf("Latest with a temp file: %+v, %v", found, err)
	}
	if err := Prune(dir, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(temp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp file still there: %v", err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("Prune removed a file that is not its own: %v", err)
	}
}

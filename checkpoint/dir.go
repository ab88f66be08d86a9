package checkpoint

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// File names of checkpoints in a directory: the step, zero-padded to nine
// digits so that names sort like steps for people listing the directory.
const (
	filePrefix = "ckpt-"
	fileSuffix = ".safetensors"
)

// FileName returns the file name of the checkpoint of step, such as
// ckpt-000001200.safetensors.
func FileName(step int64) string {
	return fmt.Sprintf("%s%09d%s", filePrefix, step, fileSuffix)
}

// ParseFileName returns the step of a checkpoint file name that
// [FileName] made, and false for any other name.
func ParseFileName(name string) (step int64, ok bool) {
	digits, found := strings.CutPrefix(name, filePrefix)
	if !found {
		return 0, false
	}
	digits, found = strings.CutSuffix(digits, fileSuffix)
	if !found {
		return 0, false
	}
	step, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || step < 0 || FileName(step) != name {
		return 0, false
	}
	return step, true
}

// Entry is a checkpoint file in a directory.
type Entry struct {
	Step int64
	Path string
}

// List returns the checkpoint files in dir, oldest step first. Other
// files, temporary files included, are ignored. A missing directory holds
// no checkpoints.
func List(dir string) ([]Entry, error) {
	items, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	var entries []Entry
	for _, item := range items {
		step, ok := ParseFileName(item.Name())
		if ok && item.Type().IsRegular() {
			entries = append(entries, Entry{Step: step, Path: filepath.Join(dir, item.Name())})
		}
	}
	slices.SortFunc(entries, func(a, b Entry) int { return cmp.Compare(a.Step, b.Step) })
	return entries, nil
}

// Found is the result of [Latest].
type Found struct {
	Entry
	Checkpoint *Checkpoint

	// Skipped lists the newer checkpoint files that did not read back,
	// newest first, with the reason.
	Skipped []Skipped
}

// Skipped is a checkpoint file that [Latest] could not use.
type Skipped struct {
	Path string
	Err  error
}

// Latest returns the newest checkpoint in dir that reads back valid,
// skipping newer ones that are torn or corrupt and saying which. When no
// checkpoint in dir is valid, or dir does not exist, the error wraps
// [ErrNoCheckpoint] and the errors of the files it skipped.
func Latest(dir string) (*Found, error) {
	entries, err := List(dir)
	if err != nil {
		return nil, err
	}

	var skipped []Skipped
	for i := len(entries) - 1; i >= 0; i-- {
		c, err := Read(entries[i].Path)
		if err != nil {
			skipped = append(skipped, Skipped{Path: entries[i].Path, Err: err})
			continue
		}
		return &Found{Entry: entries[i], Checkpoint: c, Skipped: skipped}, nil
	}

	errs := []error{fmt.Errorf("checkpoint: %s: %w", dir, ErrNoCheckpoint)}
	for _, s := range skipped {
		errs = append(errs, s.Err)
	}
	return nil, errors.Join(errs...)
}

// Save writes c as the checkpoint of step in dir, creating dir if needed,
// and then keeps only the newest keep checkpoints up to step (0 keeps
// all). Checkpoints of later steps, left by an earlier run that this one
// resumed before, are neither counted nor removed. It returns the path
// written.
func Save(dir string, step int64, c *Checkpoint, keep int) (string, error) {
	if step < 0 {
		return "", invalidf("negative step %d", step)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("checkpoint: %w", err)
	}
	path := filepath.Join(dir, FileName(step))
	if err := Write(path, c); err != nil {
		return "", err
	}
	if keep > 0 {
		if err := prune(dir, keep, step); err != nil {
			return path, err
		}
	}
	return path, nil
}

// Prune removes all but the newest keep checkpoints in dir (keep ≥ 1), and
// the temporary files that a crashed [Write] left. Only one process may
// write checkpoints into dir: Prune would remove another's temporary file.
//
// TODO: a lock file in dir would let Save and Prune refuse a second
// writer instead of relying on the caller; the trainer owns its directory.
func Prune(dir string, keep int) error {
	if keep < 1 {
		return invalidf("prune keeping %d checkpoints: want at least 1", keep)
	}
	return prune(dir, keep, -1)
}

// prune is Prune, counting only checkpoints up to step when step ≥ 0.
func prune(dir string, keep int, step int64) error {
	entries, err := List(dir)
	if err != nil {
		return err
	}
	if step >= 0 {
		entries = slices.DeleteFunc(entries, func(e Entry) bool { return e.Step > step })
	}
	var errs []error
	for _, e := range entries[:max(len(entries)-keep, 0)] {
		if err := os.Remove(e.Path); err != nil {
			errs = append(errs, fmt.Errorf("checkpoint: %w", err))
		}
	}

	items, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	for _, item := range items {
		if isTemp(item.Name()) {
			if err := os.Remove(filepath.Join(dir, item.Name())); err != nil {
				errs = append(errs, fmt.Errorf("checkpoint: %w", err))
			}
		}
	}
	return errors.Join(errs...)
}

// isTemp reports whether name is a temporary file of a checkpoint Write.
func isTemp(name string) bool {
	target, _, found := strings.Cut(strings.TrimPrefix(name, "."), tempMarker)
	if !found || !strings.HasPrefix(name, ".") {
		return false
	}
	_, ok := ParseFileName(target)
	return ok
}

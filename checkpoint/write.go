package checkpoint

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// tempMarker separates a target's name from the random suffix of its
// temporary file: ".ckpt-000000100.safetensors.tmp-123456".
const tempMarker = ".tmp-"

// crashPoint, when set, is called at each step of Write ("created",
// "halfway", "synced", "renamed") so that a test can kill the process
// there. It is nil outside tests.
var crashPoint func(step string)

// Write saves c at path atomically: it writes a temporary file in the same
// directory, syncs it to disk, renames it over path and syncs the
// directory. Whenever the process or the machine stops, path holds either
// its previous contents or all of c, never a mix. A crash can leave the
// temporary file behind; it is hidden (its name starts with a dot) and
// [Prune] removes it.
func Write(path string, c *Checkpoint) error {
	if err := c.validate(); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}

	f, err := os.CreateTemp(dir, "."+base+tempMarker+"*")
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	reach("created")

	// Write and sync the temporary file completely before it takes the
	// target's name, or a crash could publish a partial file.
	w := bufio.NewWriterSize(f, 1<<20)
	var halfway func() error
	if crashPoint != nil {
		halfway = func() error {
			err := w.Flush()
			reach("halfway")
			return err
		}
	}
	if err := encode(w, c, halfway); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", tmp, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("checkpoint: write %s: %w", tmp, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("checkpoint: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("checkpoint: close %s: %w", tmp, err)
	}
	reach("synced")

	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	done = true
	reach("renamed")

	// The rename lives in the directory; until the directory is synced a
	// power cut could still bring the old name back.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("checkpoint: sync directory %s: %w", dir, err)
	}
	return nil
}

// reach calls crashPoint, if a test set it.
func reach(step string) {
	if crashPoint != nil {
		crashPoint(step)
	}
}

// syncDir flushes the directory entry changes of dir to disk.
//
// TODO: Windows cannot open a directory for syncing; Write would need a
// platform file that skips this step there. Mariana targets Linux today.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

//go:build cgo

package auto

import "testing"

func TestPicksOpenBLASWithCgo(t *testing.T) {
	if name := New(1).Name(); name != "openblas" {
		t.Errorf("with cgo, New(1).Name() = %q, want openblas", name)
	}
}

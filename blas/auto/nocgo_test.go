//go:build !cgo

package auto

import "testing"

func TestPicksNativeWithoutCgo(t *testing.T) {
	if name := New(1).Name(); name != "native" {
		t.Errorf("without cgo, New(1).Name() = %q, want native", name)
	}
}

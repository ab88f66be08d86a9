package auto

import (
	"fmt"
	"testing"

	"github.com/mariana-dl/mariana/blas/blastest"
)

func TestSgemm(t *testing.T) {
	for _, threads := range []int{1, 2} {
		t.Run(fmt.Sprint("threads=", threads), func(t *testing.T) {
			impl := New(threads)
			if impl.Threads() != threads {
				t.Fatalf("New(%d).Threads() = %d", threads, impl.Threads())
			}
			blastest.TestSgemm(t, impl)
		})
	}
}

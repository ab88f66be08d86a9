package pipeline

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/mariana-dl/mariana/data"
	"github.com/mariana-dl/mariana/tensor"
)

// cifarFiles writes CIFAR-10 binary batch files into a new temporary
// folder, counts[k] records in file k, and returns their paths. Pixels are
// random, except that the first three bytes of the red plane hold the
// sample's index across all files (big-endian), so that a batch read with
// no crop, no mirror and no scaling shows which samples it holds. Labels
// are random.
func cifarFiles(t testing.TB, seed uint64, counts ...int) []string {
	t.Helper()
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(seed, 1))
	var paths []string
	index := 0
	for k, count := range counts {
		b := make([]byte, count*data.CIFAR10Record)
		for i := range count {
			rec := b[i*data.CIFAR10Record : (i+1)*data.CIFAR10Record]
			rec[0] = byte(rng.IntN(data.CIFAR10Classes))
			for j := 1; j < len(rec); j++ {
				rec[j] = byte(rng.Uint32())
			}
			rec[1], rec[2], rec[3] = byte(index>>16), byte(index>>8), byte(index)
			index++
		}
		path := filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", k+1))
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	return paths
}

// openCIFAR opens paths as a source closed at the end of the test.
func openCIFAR(t testing.TB, paths ...string) *CIFAR10 {
	t.Helper()
	src, err := OpenCIFAR10(paths, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// newPipeline returns a pipeline closed at the end of the test.
func newPipeline(t testing.TB, src Source, cfg Config) *Pipeline {
	t.Helper()
	p, err := New(src, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// batch is one delivered mini-batch, copied.
type batch struct {
	pos       data.Position
	x, labels *tensor.Tensor
}

// take calls Next k times and returns copies of the batches.
func take(t testing.TB, p *Pipeline, k int) []batch {
	t.Helper()
	var x, y tensor.Tensor
	out := make([]batch, k)
	for i := range out {
		pos, err := p.Next(&x, &y)
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		out[i] = batch{pos: pos, x: x.Clone(), labels: y.Clone()}
	}
	return out
}

// sameBatches fails unless got and want are equal bit for bit.
func sameBatches(t testing.TB, got, want []batch) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d batches, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.pos != w.pos {
			t.Fatalf("batch %d at %v, want %v", i, g.pos, w.pos)
		}
		if !g.x.Shape.Equal(w.x.Shape) || !g.labels.Shape.Equal(w.labels.Shape) {
			t.Fatalf("batch %d (%v): shapes %v %v, want %v %v", i, w.pos, g.x.Shape,
				g.labels.Shape, w.x.Shape, w.labels.Shape)
		}
		for j := range w.x.Data {
			if g.x.Data[j] != w.x.Data[j] {
				t.Fatalf("batch %d (%v): x[%d] = %v, want %v", i, w.pos, j, g.x.Data[j],
					w.x.Data[j])
			}
		}
		for j := range w.labels.Data {
			if g.labels.Data[j] != w.labels.Data[j] {
				t.Fatalf("batch %d (%v): label %d = %v, want %v", i, w.pos, j,
					g.labels.Data[j], w.labels.Data[j])
			}
		}
	}
}

// sampleIndex decodes the index cifarFiles wrote into sample i of x, read
// with no crop, no mirror, mean 0 and scale 1.
func sampleIndex(x *tensor.Tensor, i int) int {
	row := x.Data[i*x.SampleLen():]
	return int(row[0])<<16 | int(row[1])<<8 | int(row[2])
}

// fileError returns err as a *data.FileError, failing the test if it is
// not one.
func fileError(t testing.TB, err error) *data.FileError {
	t.Helper()
	var fe *data.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *data.FileError", err, err)
	}
	return fe
}

// settleGoroutines waits until at most want goroutines run, and fails if
// that does not happen. A goroutine that has called wg.Done may still be
// on its way out when Close returns, hence the wait.
func settleGoroutines(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			n := runtime.Stack(buf, true)
			t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), want,
				buf[:n])
		}
		time.Sleep(time.Millisecond)
	}
}

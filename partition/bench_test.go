package partition

import (
	"fmt"
	"testing"

	"github.com/mariana-dl/mariana/examples"
	"github.com/mariana-dl/mariana/spec"
)

// BenchmarkStep trains the example networks on one device with one core,
// cut into two columns on two devices (model parallelism), and as two
// worker groups of one device (data parallelism), every device with one
// thread, and reports training samples per second. bench/modelparallel.sh
// prints the same comparison as a table.
//
//	go test ./partition -run - -bench Step -benchtime 5x
func BenchmarkStep(b *testing.B) {
	for _, name := range []string{"cifar10-quick", "alexnet-small"} {
		s, err := examples.Load(name)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			groups, workers int
			split           spec.Split
		}{{1, 1, spec.SplitNone}, {1, 2, spec.SplitColumns}, {2, 1, spec.SplitNone}} {
			b.Run(fmt.Sprintf("%s/%dx%d", name, c.groups, c.workers), func(b *testing.B) {
				cfg := Config{Groups: c.groups, Workers: c.workers, Split: c.split}
				r, err := Build(s, cfg, Options{Threads: c.groups * c.workers, Pin: true})
				if err != nil {
					b.Fatal(err)
				}
				defer r.Close()
				x, y := batch(1, s.Train.Batch, s.Model.Input, s.Data.Classes())
				if _, err := r.Step(x, y); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for range b.N {
					if _, err := r.Step(x, y); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N*s.Train.Batch)/b.Elapsed().Seconds(), "samples/s")
			})
		}
	}
}

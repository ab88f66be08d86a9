// Package benchmarks measures the [blas.Impl] implementations side by side.
// It holds no code, only BenchmarkSgemm, which times every implementation
// the build has with one and two threads on square products and on those
// of an MLP's fully connected layers, and reports
//
//   - GFLOP/s: 2·m·n·k per product over wall-clock time, the figure that
//     matters to training;
//   - GFLOP/cpu-s, for one-thread implementations: the same over the CPU
//     time of the thread that computed, which is what the product achieves
//     while it runs, even on a machine whose cores other programs share and
//     whose wall-clock rates then drift by tens of percent. Only Linux
//     reports a thread's CPU time; elsewhere the metric is left out.
//
// bench/gemm/gemm.sh runs it beside the same products called from C and
// prints the comparison table.
package benchmarks

#!/usr/bin/env bash
# gemm.sh compares Mariana's float32 matrix product with OpenBLAS called from
# C. It builds ref.c and the Go benchmarks (BenchmarkSgemm in
# blas/benchmarks), runs both on the same shapes, and prints one table:
#
#   shape threads | C  Go-openblas  Go/C | C-cpu  Go-cpu  Go/C-cpu | native
#
# The first three figures are GFLOP/s over wall-clock time; the -cpu ones
# are GFLOP per second of CPU time of the thread that computed, for one
# thread only: they tell what a product achieves while it runs even when
# other programs share the cores, where wall-clock rates drift by tens of
# percent. Two-thread products have only wall-clock rates.
#
# Usage: bench/gemm/gemm.sh [WINDOW] [COUNT] [NATIVE_COUNT]
#
# Every figure is the best of COUNT windows of WINDOW seconds (defaults
# 0.05 and 20), each the mean rate over the products that fit in it; the
# native figures take NATIVE_COUNT windows (default 2), as a 2048³ product
# takes it seconds. On a machine shared with other work, short windows and
# the best of many catch the moments the cores are free, and C and Go are
# measured shape by shape, one right after the other, so that both see the
# same load. The whole run takes about two minutes.
#
# OpenBLAS 0.3.21 picks generic kernels on CPUs newer than it knows;
# blas/openblas corrects that itself (see its package documentation). The C
# program gets the same kernels through OPENBLAS_CORETYPE, set to the core
# the Go package reports, and the same library and OpenMP spin count, so
# both sides run the same code.
set -euo pipefail
cd "$(dirname "$0")/../.."

window=${1:-0.05}
count=${2:-20}
native_count=${3:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gcc -O2 -Wall -o "$work/ref" bench/gemm/ref.c -lopenblas
go test -c -o "$work/blas.test" ./blas/benchmarks/

configured=$(go test -count=1 -run '^TestConfigure$' -v ./blas/openblas)
core=$(echo "$configured" | sed -n 's/.*OpenBLAS core: \([A-Za-z0-9]*\).*/\1/p')
# The C program loads the library Mariana loads (Debian's OpenMP build,
# chosen by blas/openblas, where the system default is often the pthreads
# build), with the OpenMP spin count blas/openblas sets: the two sides then
# differ only in how they call it.
library=$(echo "$configured" | sed -n 's/.*library: \(.*\)$/\1/p')
spin=$(sed -n 's/^const spinCount = "\([0-9]*\)"/\1/p' blas/openblas/library.go)
c_env=(OPENBLAS_CORETYPE="$core")
if [ -n "$library" ] && [ "${library#/}" != "$library" ]; then
	c_env+=(LD_LIBRARY_PATH="$(dirname "$library")")
fi
[ -n "$spin" ] && c_env+=(GOMP_SPINCOUNT="$spin")
if [ -z "$core" ]; then
	echo "gemm.sh: blas/openblas did not report its core; is cgo enabled?" >&2
	exit 1
fi

shapes=$(sed -n 's/^\t{"\([^"]*\)", Cblas.*/\1/p' bench/gemm/ref.c)
echo "# for each shape S of ref.c:"
echo "#   ${c_env[*]} ref $window $count S"
echo "#   blas.test -test.run '^\$' -test.bench '^BenchmarkSgemm\$/^S\$/^openblas\$'" \
	"-test.benchtime ${window}s -test.count $count"
echo "#   blas.test -test.run '^\$' -test.bench '^BenchmarkSgemm\$/^S\$/^native\$'" \
	"-test.benchtime ${window}s -test.count $native_count"
echo "# (blas.test is 'go test -c ./blas/benchmarks/'," \
	"ref is 'gcc -O2 bench/gemm/ref.c -lopenblas')"

for s in $shapes; do
	re="^BenchmarkSgemm\$/^${s//./\\.}\$"
	env "${c_env[@]}" "$work/ref" "$window" "$count" "$s" >>"$work/c.txt"
	"$work/blas.test" -test.run '^$' -test.bench "$re/^openblas\$" \
		-test.benchtime "${window}s" -test.count "$count" >>"$work/go.txt"
	"$work/blas.test" -test.run '^$' -test.bench "$re/^native\$" \
		-test.benchtime "${window}s" -test.count "$native_count" >>"$work/go.txt"
done
grep -m1 '^#' "$work/c.txt"
grep -m1 '^cpu:' "$work/go.txt" | sed 's/^/# /'

# C lines are "<shape> <threads> <rate> <cpu rate>". Go sub-benchmarks are
# named BenchmarkSgemm/<shape>/<impl>/threads=<n>-<procs> and report
# "<rate> GFLOP/s" and "<cpu rate> GFLOP/cpu-s"; keep the best of each.
awk '
	FNR == 1 { file++ }
	file == 1 && !/^#/ {
		key = $1 " " $2
		if (!(key in c)) order[++n] = key
		if ($3 > c[key]) c[key] = $3
		if ($4 > ccpu[key]) ccpu[key] = $4
	}
	file == 2 && /^BenchmarkSgemm\// {
		split($1, part, "/")
		threads = part[4]
		sub(/^threads=/, "", threads)
		sub(/-[0-9]+$/, "", threads)
		rate = cpu = 0
		for (i = 2; i <= NF; i++) {
			if ($i == "GFLOP/s") rate = $(i - 1)
			if ($i == "GFLOP/cpu-s") cpu = $(i - 1)
		}
		key = part[2] " " threads " " part[3]
		if (rate > best[key]) best[key] = rate
		if (cpu > bestcpu[key]) bestcpu[key] = cpu
	}
	function ratio(a, b) { return b > 0 ? sprintf("%.3f", a / b) : "-" }
	END {
		printf "%-11s %7s %8s %11s %6s %8s %8s %8s %7s\n", "shape", "threads", "C",
			"Go-openblas", "Go/C", "C-cpu", "Go-cpu", "Go/C-cpu", "native"
		for (t = 1; t <= 2; t++) for (i = 1; i <= n; i++) {
			split(order[i], kt, " ")
			if (kt[2] != t) continue
			g = best[order[i] " openblas"]
			gc = bestcpu[order[i] " openblas"]
			if (t == 1) {
				cpus = sprintf("%8.1f %8.1f %8s", ccpu[order[i]], gc, ratio(gc, ccpu[order[i]]))
			} else {
				cpus = sprintf("%8s %8s %8s", "-", "-", "-")
			}
			printf "%-11s %7s %8.1f %11.1f %6s %s %7.2f\n", kt[1], kt[2], c[order[i]], g,
				ratio(g, c[order[i]]), cpus, best[order[i] " native"]
		}
	}
' "$work/c.txt" "$work/go.txt"

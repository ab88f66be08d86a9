#!/usr/bin/env bash
# gemm.sh compares Mariana's float32 matrix product with OpenBLAS called from
# C. It builds ref.c, runs it and the Go benchmarks (BenchmarkSgemm in
# blas/bench_test.go) on the same shapes, and prints one table:
#
#   shape  threads  C GFLOP/s  Go-openblas GFLOP/s  Go/C  native GFLOP/s
#
# Every figure is the best of COUNT windows of WINDOW seconds (defaults 0.3
# and 3), each the mean rate over the products that fit in it, so that a
# burst of load from other processes costs a window, not the result.
#
# Usage: bench/gemm/gemm.sh [WINDOW] [COUNT]
#
# OpenBLAS 0.3.21 picks generic kernels on CPUs newer than it knows;
# blas/openblas corrects that itself (see its package documentation). The C
# program gets the same kernels through OPENBLAS_CORETYPE, set to the core
# the Go package reports, so both sides run the same code.
set -euo pipefail
cd "$(dirname "$0")/../.."

window=${1:-0.3}
count=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gcc -O2 -Wall -o "$work/ref" bench/gemm/ref.c -lopenblas

core=$(go test -count=1 -run '^TestConfigure$' -v ./blas/openblas |
	sed -n 's/.*OpenBLAS core: //p')
if [ -z "$core" ]; then
	echo "gemm.sh: blas/openblas did not report its core; is cgo enabled?" >&2
	exit 1
fi

echo "# OPENBLAS_CORETYPE=$core $work/ref $window $count"
OPENBLAS_CORETYPE=$core "$work/ref" "$window" "$count" | tee "$work/c.txt" | grep '^#'

gocmd=(go test -count="$count" -run '^$' -bench '^BenchmarkSgemm$' -benchtime "${window}s"
	./blas/)
echo "# ${gocmd[*]}"
"${gocmd[@]}" >"$work/go.txt"
grep -E '^(goos|goarch|cpu):' "$work/go.txt" | sed 's/^/# /'

# Sub-benchmarks are named BenchmarkSgemm/<shape>/<impl>/threads=<n>-<procs>
# and report "<rate> GFLOP/s"; keep the best rate of each name.
awk '
	FNR == 1 { file++ }
	file == 1 && !/^#/ { c[$1 " " $2] = $3; order[++n] = $1 " " $2 }
	file == 2 && /^BenchmarkSgemm\// {
		split($1, part, "/")
		threads = part[4]
		sub(/^threads=/, "", threads)
		sub(/-[0-9]+$/, "", threads)
		for (i = 2; i <= NF; i++) if ($i == "GFLOP/s") rate = $(i - 1)
		key = part[2] " " threads " " part[3]
		if (rate > best[key]) best[key] = rate
	}
	END {
		printf "%-11s %7s %10s %12s %7s %10s\n", "shape", "threads", "C", "Go-openblas",
			"Go/C", "native"
		for (i = 1; i <= n; i++) {
			split(order[i], kt, " ")
			g = best[order[i] " openblas"]
			printf "%-11s %7s %10.1f %12.1f %7.3f %10.2f\n", kt[1], kt[2], c[order[i]], g,
				(c[order[i]] > 0 ? g / c[order[i]] : 0), best[order[i] " native"]
		}
	}
' "$work/c.txt" "$work/go.txt"

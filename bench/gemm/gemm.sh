#!/usr/bin/env bash
# gemm.sh compares Mariana's float32 matrix product with OpenBLAS called from
# C. It builds ref.c and the Go benchmarks (BenchmarkSgemm in
# blas/benchmarks), runs both on the same shapes, and prints one table:
#
#   shape threads | C  Go  Go/C [range] | Go/C-cpu [range] | native
#
# C, Go (Mariana's OpenBLAS path) and native (its pure-Go product) are in
# GFLOP/s over wall-clock time. Go/C-cpu compares GFLOP per second of CPU
# time of the thread that computed, for one thread only: it tells what a
# product achieves while it runs even when other programs share the cores.
# Two-thread products have only wall-clock rates.
#
# Usage: [ROUNDS=3] bench/gemm/gemm.sh [WINDOW] [COUNT] [NATIVE_COUNT]
#
# A figure is the best of COUNT windows of WINDOW seconds (defaults 0.05
# and 10), each the mean rate over the products that fit in it. On a
# machine shared with other work, short windows and the best of many catch
# the moments the cores are free. C and Go are measured shape by shape, one
# right after the other, in ROUNDS rounds that alternate which goes first,
# so that both see the same load; the table gives each side's median over
# the rounds and the median of the rounds' Go/C ratios, with their range in
# brackets, because this host's speed drifts by tens of percent from one
# minute to the next. The native figures are measured in the first round
# only, with NATIVE_COUNT windows (default 2), as a 2048³ product takes it
# seconds. The whole run takes about four minutes.
#
set -euo pipefail
cd "$(dirname "$0")/../.."

window=${1:-0.05}
count=${2:-10}
native_count=${3:-2}
rounds=${ROUNDS:-3}
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

# Every line of c.txt and go.txt starts with its round.
measure_c() {
	env "${c_env[@]}" "$work/ref" "$window" "$count" "$1" | sed "s/^/$2 /" >>"$work/c.txt"
}
measure_go() {
	"$work/blas.test" -test.run '^$' -test.bench "$1/^$2\$" -test.benchtime "${window}s" \
		-test.count "$3" | sed "s/^/$4 /" >>"$work/go.txt"
}
for r in $(seq 1 "$rounds"); do
	for s in $shapes; do
		re="^BenchmarkSgemm\$/^${s//./\\.}\$"
		if [ $((r % 2)) = 1 ]; then
			measure_c "$s" "$r"
			measure_go "$re" openblas "$count" "$r"
		else
			measure_go "$re" openblas "$count" "$r"
			measure_c "$s" "$r"
		fi
		if [ "$r" = 1 ]; then
			measure_go "$re" native "$native_count" "$r"
		fi
	done
done
grep -m1 '^1 #' "$work/c.txt" | cut -d' ' -f2-
grep -m1 '^1 cpu:' "$work/go.txt" | cut -d' ' -f2- | sed 's/^/# /'

# C lines are "<round> <shape> <threads> <rate> <cpu rate>". Go lines are
# "<round> BenchmarkSgemm/<shape>/<impl>/threads=<n>-<procs> ..." with
# "<rate> GFLOP/s" and "<cpu rate> GFLOP/cpu-s"; keep the best of each per
# round, then take medians over the rounds.
awk -v rounds="$rounds" '
	FNR == 1 { file++ }
	file == 1 && $2 != "#" {
		key = $2 " " $3
		if (!(key in seen)) { seen[key] = 1; order[++n] = key }
		k = key " " $1
		if ($4 > c[k]) c[k] = $4
		if ($5 > ccpu[k]) ccpu[k] = $5
	}
	file == 2 && $2 ~ /^BenchmarkSgemm\// {
		split($2, part, "/")
		threads = part[4]
		sub(/^threads=/, "", threads)
		sub(/-[0-9]+$/, "", threads)
		rate = cpu = 0
		for (i = 3; i <= NF; i++) {
			if ($i == "GFLOP/s") rate = $(i - 1)
			if ($i == "GFLOP/cpu-s") cpu = $(i - 1)
		}
		k = part[2] " " threads " " part[3] " " $1
		if (rate > best[k]) best[k] = rate
		if (cpu > bestcpu[k]) bestcpu[k] = cpu
	}
	function median(v, m,    i, j, t) {
		for (i = 2; i <= m; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
		return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	# summarise sets med, lo and hi over the m values of v.
	function summarise(v, m) {
		if (m == 0) { med = lo = hi = 0; return }
		med = median(v, m)
		lo = v[1]; hi = v[m]
	}
	# rates summarises a[key " " r] over the rounds.
	function rates(a, key,    r, m, v) {
		m = 0
		for (r = 1; r <= rounds; r++) v[++m] = a[key " " r]
		summarise(v, m)
	}
	# ratios summarises a/b over the rounds where both were measured.
	function ratios(a, b, key,    r, m, v) {
		m = 0
		for (r = 1; r <= rounds; r++) {
			if (b[key " " r] > 0) v[++m] = a[key " " r] / b[key " " r]
		}
		summarise(v, m)
	}
	END {
		printf "%-11s %7s %7s %7s %19s %19s %7s\n", "shape", "threads", "C", "Go",
			"Go/C [range]", "Go/C-cpu [range]", "native"
		for (t = 1; t <= 2; t++) for (i = 1; i <= n; i++) {
			split(order[i], kt, " ")
			if (kt[2] != t) continue
			key = order[i]
			for (r = 1; r <= rounds; r++) {
				g[key " " r] = best[key " openblas " r]
				gc[key " " r] = bestcpu[key " openblas " r]
			}
			rates(c, key); cm = med
			rates(g, key); gm = med
			ratios(g, c, key)
			wall = sprintf("%.3f [%.2f-%.2f]", med, lo, hi)
			cpus = "-"
			if (t == 1) {
				ratios(gc, ccpu, key)
				cpus = sprintf("%.3f [%.2f-%.2f]", med, lo, hi)
			}
			printf "%-11s %7s %7.1f %7.1f %19s %19s %7.2f\n", kt[1], kt[2], cm, gm, wall,
				cpus, best[key " native 1"]
		}
	}
' "$work/c.txt" "$work/go.txt"

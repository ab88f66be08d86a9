#!/usr/bin/env bash
# Training throughput of the three example networks, Mariana against PyTorch
# on the CPU, in one run: samples per second of each and their ratio.
#
# PyTorch (Debian's python3-torch) runs in both of its best configurations on
# these 2-core machines (one thread with OpenBLAS free; two threads with
# passive OpenMP waiting) and the better median counts. Both sides train on
# random data of the network's shape, an epoch being EPOCH_SIZE samples drawn
# in a fresh random order, after 30 warm-up steps.
#
#   bench/throughput.sh                 # all three, 3 rounds of 3 timed epochs
#   ROUNDS=5 EPOCHS=2 EPOCH_SIZE=20000 MODELS="mlp lenet" bench/throughput.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ref=${TORCH_REFERENCE:-../shared/reference/pytorch_reference.py}
epochs=${EPOCHS:-3}
models=${MODELS:-mlp lenet cifar}
py=/usr/bin/python3
[ -f "$ref" ] || { echo "no PyTorch reference script at $ref (set TORCH_REFERENCE)" >&2; exit 1; }
"$py" -c 'import torch, threadpoolctl' 2>/dev/null || {
  echo "PyTorch is missing: apt-get install -y python3-torch python3-numpy python3-threadpoolctl" >&2
  exit 1
}

bash scripts/deps.sh
go build -o bin/mariana ./cmd/mariana

# Debian's OpenBLAS 0.3.21 falls back to its slowest kernels on CPUs newer
# than it knows; Mariana corrects that in-process (blas/openblas), so
# PyTorch, whose fully connected layers call the same library, gets the same
# kernels through OPENBLAS_CORETYPE to be measured at its best.
core=${OPENBLAS_CORETYPE:-$(go test -count=1 -run '^TestConfigure$' -v ./blas/openblas |
  sed -n 's/.*OpenBLAS core: \([A-Za-z0-9]*\).*/\1/p')}
echo "OpenBLAS kernels: ${core:-default}" >&2
torch_env=()
[ -n "$core" ] && torch_env=(OPENBLAS_CORETYPE="$core")

spec_of() {
  case $1 in
    mlp) echo mnist-mlp ;;
    lenet) echo mnist-lenet ;;
    cifar) echo cifar10-quick ;;
  esac
}

median() { grep '^summary' | sed 's/.*median_samples_per_s=\([0-9.]*\).*/\1/'; }

# Each round runs Mariana, then PyTorch in both configurations, one right
# after the other, so that a round's three figures see the same machine; a
# round's ratio is Mariana over the better PyTorch of that round. The host
# of these machines slows every figure by 15 to 30% for minutes at a time,
# which one round per side would read as a difference between them.
rounds=${ROUNDS:-3}
med() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rows=()
for m in $models; do
  size=${EPOCH_SIZE:-}
  sizeflag=()
  [ -n "$size" ] && sizeflag=(--epoch-size "$size")

  ours=() t1s=() t2s=() ratios=()
  for round in $(seq "$rounds"); do
    o=$(bin/mariana bench "$(spec_of "$m")" --epochs "$epochs" "${sizeflag[@]}" | median)
    t1=$(env "${torch_env[@]}" "$py" "$ref" --model "$m" --threads 1 --no-blas-limit \
      --epochs "$epochs" "${sizeflag[@]}" | median)
    t2=$(env "${torch_env[@]}" OMP_WAIT_POLICY=PASSIVE "$py" "$ref" --model "$m" --threads 2 \
      --epochs "$epochs" "${sizeflag[@]}" | median)
    r=$(awk -v o="$o" -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", o / ((a > b) ? a : b) }')
    echo "$m round $round: mariana $o samples/s, pytorch 1 thread $t1, 2 threads passive $t2," \
      "ratio ${r}x" >&2
    ours+=("$o") t1s+=("$t1") t2s+=("$t2") ratios+=("$r")
  done
  lo=$(printf '%s\n' "${ratios[@]}" | sort -g | head -1)
  hi=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -1)
  rows+=("| $m | $(printf '%s\n' "${ours[@]}" | med) | $(printf '%s\n' "${t1s[@]}" | med) |\
 $(printf '%s\n' "${t2s[@]}" | med) | $(printf '%s\n' "${ratios[@]}" | med | xargs printf '%.2f')x |\
 ${lo}x to ${hi}x |")
done

echo
echo "Medians over $rounds interleaved rounds:"
echo
echo "| model | Mariana samples/s | PyTorch 1 thread | PyTorch 2 threads (passive) |" \
  "Mariana / best PyTorch | range of the rounds' ratios |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"

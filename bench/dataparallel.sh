#!/usr/bin/env bash
# Data-parallel speed-up on this machine, for the MNIST MLP and the
# speech-style DNN (examples/speech-dnn.yaml), on random data:
#
#   1 device, 1 thread        the baseline of "one core each"
#   2 devices, 1 thread each  in one process (mariana bench --devices 2), with
#                             the devices' threads unpinned (the default) and
#                             pinned to a core each (--pin)
#   2 processes, 1 thread each, over loopback TCP (mariana launch -n 2 --bench)
#   1 device, 2 threads       what a user of this machine would otherwise run
#   2 independent 1-device runs at the same time, one per core: what the
#                             machine itself gives two busy cores
#   the same at half the batch (--batch): each core runs a replica's passes,
#                             on a replica's share of the batch, with no
#                             exchange and no waiting (and a whole update
#                             each, twice an owner's): the ceiling of a
#                             2-device run on this machine
#
# The configurations run in turn, ROUNDS times, so that the load of a shared
# machine falls on all of them alike; each run gives the median of its
# epochs, and the table the best run of each configuration (the one least
# disturbed by others). The load average is printed before and after. Then
# the scaling model's predictions for 2, 4, 6 and 8 members, from a step
# measured on one device and the links fitted by exchange/cmd/exchangefit
# (FIT=0 uses the exchange package's stored fits instead).
#
#   bench/dataparallel.sh
#   ROUNDS=3 MODELS="mlp speech" bench/dataparallel.sh
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${ROUNDS:-2}
models=${MODELS:-mlp speech}
fit=${FIT:-1}
go build -o bin/mariana ./cmd/mariana
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "# load before: $(cat /proc/loadavg)"

spec_of() { case $1 in mlp) echo mnist-mlp ;; speech) echo speech-dnn ;; esac; }
# Epochs of 150 steps (MLP, batch 128) and 30 steps (speech, batch 256).
size_of() { case $1 in mlp) echo 19200 ;; speech) echo 7680 ;; esac; }
batch_of() { case $1 in mlp) echo 128 ;; speech) echo 256 ;; esac; }
median() { sed -n 's/^summary.*median_samples_per_s=\([0-9.]*\).*/\1/p'; }
best() { tr ' ' '\n' | sort -g | tail -1; }

declare -A rate
for m in $models; do
  spec=$(spec_of "$m")
  common=(--epochs 3 --warmup 10 --epoch-size "$(size_of "$m")")
  for round in $(seq "$rounds"); do
    r1=$(bin/mariana bench "$spec" "${common[@]}" --threads 1 2>/dev/null | median)
    r2=$(bin/mariana bench "$spec" "${common[@]}" --threads 2 --devices 2 2>/dev/null | median)
    rn=$(bin/mariana bench "$spec" "${common[@]}" --threads 2 --devices 2 --pin 2>/dev/null |
      median)
    rp=$(bin/mariana launch -n 2 --threads 2 --bench "$spec" "${common[@]}" 2>/dev/null | median)
    rt=$(bin/mariana bench "$spec" "${common[@]}" --threads 2 2>/dev/null | median)
    taskset -c 0 bin/mariana bench "$spec" "${common[@]}" --threads 1 2>/dev/null | median \
      > "$tmp/pair0" &
    taskset -c 1 bin/mariana bench "$spec" "${common[@]}" --threads 1 2>/dev/null | median \
      > "$tmp/pair1"
    wait
    rc=$(awk '{ s += $1 } END { print s }' "$tmp/pair0" "$tmp/pair1")
    half=(--batch $(($(batch_of "$m") / 2)))
    taskset -c 0 bin/mariana bench "$spec" "${common[@]}" "${half[@]}" --threads 1 2>/dev/null |
      median > "$tmp/pair0" &
    taskset -c 1 bin/mariana bench "$spec" "${common[@]}" "${half[@]}" --threads 1 2>/dev/null |
      median > "$tmp/pair1"
    wait
    rh=$(awk '{ s += $1 } END { print s }' "$tmp/pair0" "$tmp/pair1")
    echo "$m round $round: 1 device $r1, 2 devices $r2 (pinned $rn), 2 processes $rp," \
      "1 device 2 threads $rt, 2 independent runs $rc (at half the batch $rh) samples/s" >&2
    rate[$m,1]+="$r1 "; rate[$m,2]+="$r2 "; rate[$m,n]+="$rn "; rate[$m,p]+="$rp "
    rate[$m,t]+="$rt "; rate[$m,c]+="$rc "; rate[$m,h]+="$rh "
  done
done
echo "# load after: $(cat /proc/loadavg)"

echo
echo "| model | 1 device, 1 thread | 2 devices | speed-up | efficiency | 2 devices pinned |" \
  "efficiency | 2 processes (loopback) | processes / devices | 1 device, 2 threads |" \
  "2 devices / that | 2 independent runs | the same at half the batch (ceiling) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for m in $models; do
  r1=$(echo "${rate[$m,1]}" | best); r2=$(echo "${rate[$m,2]}" | best)
  rn=$(echo "${rate[$m,n]}" | best); rp=$(echo "${rate[$m,p]}" | best)
  rt=$(echo "${rate[$m,t]}" | best); rc=$(echo "${rate[$m,c]}" | best)
  rh=$(echo "${rate[$m,h]}" | best)
  awk -v m="$(spec_of "$m")" -v a="$r1" -v b="$r2" -v n="$rn" -v p="$rp" -v t="$rt" \
    -v c="$rc" -v h="$rh" 'BEGIN {
    best2 = (n > b) ? n : b
    printf "| %s | %.0f | %.0f | %.2fx | %.0f%% | %.0f | %.0f%% | %.0f | %.0f%% | %.0f |" \
      " %.2fx | %.0f (%.2fx) | %.0f (%.0f%%) |\n", m, a, b, b / a, 50 * b / a, n, 50 * n / a,
      p, 100 * p / best2, t, best2 / t, c, c / a, h, 50 * h / a }'
done

links=()
if [ "$fit" = 1 ]; then
  fitted=$(go run ./exchange/cmd/exchangefit -members 2 -budget 100ms)
  dev=$(echo "$fitted" | awk '/^in-process/ {f=1} f && /link:/ {print; exit}')
  loop=$(echo "$fitted" | awk '/^loopback/ {f=1} f && /link:/ {print; exit}')
  as_flag() { sed 's/.*α = \([0-9.]*\) µs, β = \([0-9.]*\) GB\/s.*/\1e-6,\2e9/'; }
  links=(--device-link "$(echo "$dev" | as_flag)" --loopback-link "$(echo "$loop" | as_flag)")
  echo
  echo "# fitted links: in-process $dev; loopback $loop"
fi
echo
for m in $models; do
  bin/mariana bench "$(spec_of "$m")" --threads 1 --epoch-size "$(size_of "$m")" \
    --predict 2,4,6,8 "${links[@]}"
  echo
done

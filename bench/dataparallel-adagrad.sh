#!/usr/bin/env bash
# Where AdaGrad's sums of squared gradients live in data-parallel training,
# measured on the MNIST MLP (bench/dataparallel/mnist-mlp-adagrad.yaml, 3
# epochs, batch 128) on 2 devices:
#
#   owner       each partition's sums stay with the device that owns the
#               partition (Mariana's approximate adaptive learning rate):
#               no sums are exchanged (and in-process devices, which then
#               compute the weights' gradients from each other's factors,
#               exchange only the biases' gradients)
#   replicated  every device keeps all the sums, as exact AdaGrad on replicas
#               does: the owners send their new sums every step
#
# and, for reference, on one device. It prints the test accuracy after the
# same number of epochs and the bytes each device sends per step, in all
# and for solver state.
#
#   bench/dataparallel-adagrad.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
go build -o bin/mariana ./cmd/mariana
spec=$root/bench/dataparallel/mnist-mlp-adagrad.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "# load before: $(cat /proc/loadavg)"

field() { sed -n "s/.*\"$1\": \([0-9.e+-]*\).*/\1/p" "$2"; }
run() {
  local name=$1; shift
  "$root/bin/mariana" train "$spec" --plain --metrics-json "$name.json" "$@" 2>"$name.log" >/dev/null
  local acc bytes state
  acc=$(field test_accuracy "$name.json")
  bytes=$(field bytes_exchanged_per_step "$name.json")
  state=$(field solver_state_bytes_per_step "$name.json")
  awk -v n="$name" -v a="$acc" -v b="${bytes:-0}" -v s="${state:-0}" 'BEGIN {
    printf "| %s | %.2f%% | %.0f | %.0f |\n", n, 100 * a, b, s }'
}

echo "| run | test accuracy | bytes sent per step per device | of which solver state |"
echo "|---|---|---|---|"
run "1 device" --threads 2
run "2 devices, owner" --threads 2 --devices 2 --solver-state owner
run "2 devices, replicated" --threads 2 --devices 2 --solver-state replicated
echo "# load after: $(cat /proc/loadavg)"

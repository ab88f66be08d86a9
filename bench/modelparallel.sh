#!/usr/bin/env bash
# Model parallelism against data parallelism on this machine, as in Table 2
# of the Mariana paper: training samples per second of cifar10-quick and
# alexnet-small on one device with one core, cut into two columns on two
# devices of one core each (2-way model parallel), and as two worker
# groups of one device each (2-way data parallel); and the peak memory per
# device from the device accounting.
#
# Each configuration runs WARMUP untimed steps; then ROUNDS rounds time STEPS
# steps of every configuration in turn, so that a change in the machine's
# other load falls on all of them alike. A speedup is the median over the
# rounds of a configuration's rate over one device's in the same round;
# the spread is printed beside it. Run it on a quiet machine, and more than
# once.
#
#   bench/modelparallel.sh
#   STEPS=10 ROUNDS=7 MODELS=cifar10-quick bench/modelparallel.sh
set -euo pipefail
cd "$(dirname "$0")/.."

models=${MODELS:-cifar10-quick alexnet-small}
steps=${STEPS:-3}
rounds=${ROUNDS:-5}
warmup=${WARMUP:-2}

mkdir -p bin
go build -o bin/mpbench ./partition/cmd/mpbench
for m in $models; do
  echo "## $m"
  bin/mpbench -spec "$m" -steps "$steps" -rounds "$rounds" -warmup "$warmup" \
    -configs 1x1,1x2,2x1
  echo
done

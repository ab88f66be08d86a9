#!/usr/bin/env bash
# The README's first command: installs what is missing, builds the mariana
# binary and trains the MNIST MLP on the real MNIST data.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
go build -o bin/mariana ./cmd/mariana
exec bin/mariana train "${@:-mnist-mlp}"

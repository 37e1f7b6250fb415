#!/usr/bin/env bash
# Runs the benchmark suite: bench/run.sh [--full] [options of run.mjs].
# Node is the one thing run.mjs cannot install for itself.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
  else
    echo "node is missing: sudo apt-get install -y nodejs npm" >&2
    exit 1
  fi
fi
exec node run.mjs "$@"

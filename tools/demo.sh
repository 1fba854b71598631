#!/usr/bin/env bash
# The main job: set-up, build, then the demo (devices, topology, NTT round trip per backend).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tools/setup.sh
build=${EFAAS_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target efaas
"$build/bin/efaas" demo "$@"

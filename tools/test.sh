#!/usr/bin/env bash
# Set-up, build and every test. Exits non-zero when any test fails.
# Usage: bash tools/test.sh            (as root on Debian 12; installs what it needs)
#        EFAAS_BUILD_DIR=build-x bash tools/test.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tools/setup.sh
build=${EFAAS_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEFAAS_WERROR=ON
cmake --build "$build" --parallel "$(nproc)"
cd "$build"
ctest --output-on-failure --parallel "$(nproc)" --timeout 1500

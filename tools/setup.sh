#!/usr/bin/env bash
# Installs everything eFaaS needs on a Debian 12 machine. Idempotent and non-interactive;
# run as root (or with sudo available). Safe to re-run: installed packages are skipped.
set -euo pipefail

DEBIAN_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ccache
  clang lld llvm libclang-rt-14-dev
  ocl-icd-opencl-dev opencl-headers opencl-c-headers opencl-clhpp-headers pocl-opencl-icd clinfo
  libgmp-dev libsecp256k1-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libhwloc-dev hwloc-nox
  libsqlite3-dev sqlite3 nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  wabt openssl b3sum
)
# Node.js: keep an existing installation (some images ship a newer one than Debian's, and
# Debian's nodejs conflicts with it); otherwise take Debian's.
if ! command -v node >/dev/null 2>&1; then DEBIAN_PACKAGES+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then DEBIAN_PACKAGES+=(npm); fi

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: all Debian packages present"
fi

# npm tooling (snarkjs, circom2, solc, ganache) is installed into tools/node_modules by the
# issues that need it; see tools/package.json once present.
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$top/tools/package.json" ]; then
  if [ ! -d "$top/tools/node_modules" ] || [ "$top/tools/package.json" -nt "$top/tools/node_modules" ]; then
    echo "setup: installing npm packages"
    (cd "$top/tools" && npm install --no-audit --no-fund --loglevel=error && touch node_modules)
  fi
fi
echo "setup: done"

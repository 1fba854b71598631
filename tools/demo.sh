#!/usr/bin/env bash
# The main job: set-up, build, then the demo:
#   1. this machine's devices and an NTT round trip on every backend (efaas demo);
#   2. a WebAssembly function run, proved with zkWASM at the production preset (100 bits) and
#      verified against its module; the same proof checked against another module is rejected;
#   3. end to end (node/scripts/demo.mjs): a local chain, a farm and a node; the example
#      Extension registered, a signed Operation proved through the farm, the PostOp verified.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash tools/setup.sh
build=${EFAAS_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --parallel "$(nproc)" --target efaas efaas-node efaas-farm contracts
efaas="$build/bin/efaas"
"$efaas" demo "$@"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo
echo "== zkWASM: prove sum(1..100) = 5050 and verify it"
wat2wasm prover/zkwasm/testdata/sum.wat -o "$work/sum.wasm"
"$efaas" prove "$work/sum.wasm" --invoke sum 100 -o "$work/sum.proof"
echo
"$efaas" verify "$work/sum.wasm" "$work/sum.proof"
echo
echo "== the same proof against a different module must be rejected"
sed 's/i32.const 1/i32.const 2/' prover/zkwasm/testdata/sum.wat > "$work/other.wat"
wat2wasm "$work/other.wat" -o "$work/other.wasm"
if "$efaas" verify "$work/other.wasm" "$work/sum.proof"; then
  echo "demo: a proof verified against the wrong module" >&2
  exit 1
fi
echo "rejected, as it must be"
echo
echo "== end to end: chain, farm, node; an Operation proved through the farm and its PostOp verified"
node node/scripts/demo.mjs "$build"

#!/usr/bin/env bash
# End-to-end check of `efaas groth16 prove|verify` and its exit codes on the shared fixture:
# 0 accepted, 1 rejected, 2 bad input; snarkjs accepts what the CLI wrote.
# Usage: cli_test.sh EFAAS_BINARY SHARED_DIR SNARKJS
set -euo pipefail
efaas=$1 shared=$2 snarkjs=$3
fx=$shared/fixtures/groth16/poseidon_chain40
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() {  # expect_rc CODE command...
  local want=$1; shift
  set +e; "$@" >"$tmp/out" 2>&1; local rc=$?; set -e
  [ "$rc" -eq "$want" ] || { cat "$tmp/out" >&2; fail "exit $rc, expected $want: $*"; }
}
expect_rc 0 "$efaas" groth16 prove "$fx/circuit.zkey" "$fx/witness.wtns" "$tmp/proof.json" "$tmp/public.json"
expect_rc 0 "$efaas" groth16 verify "$fx/verification_key.json" "$tmp/public.json" "$tmp/proof.json"
expect_rc 0 "$snarkjs" groth16 verify "$fx/verification_key.json" "$tmp/public.json" "$tmp/proof.json"
expect_rc 0 "$efaas" groth16 verify "$fx/verification_key.json" "$fx/snarkjs_public.json" "$fx/snarkjs_proof.json"
# A changed public input: rejected (1).
sed 's/"\([0-9]*\)[0-9]"/"\11"/' "$tmp/public.json" > "$tmp/public_bad.json"
cmp -s "$tmp/public.json" "$tmp/public_bad.json" && sed -i 's/"\([0-9]*\)[0-9]"/"\12"/' "$tmp/public_bad.json"
expect_rc 1 "$efaas" groth16 verify "$fx/verification_key.json" "$tmp/public_bad.json" "$tmp/proof.json"
# The wrong number of public inputs, a truncated key, a key given as witness: bad input (2).
echo '["1", "2"]' > "$tmp/two.json"
expect_rc 2 "$efaas" groth16 verify "$fx/verification_key.json" "$tmp/two.json" "$tmp/proof.json"
head -c 100000 "$fx/circuit.zkey" > "$tmp/trunc.zkey"
expect_rc 2 "$efaas" groth16 prove "$tmp/trunc.zkey" "$fx/witness.wtns" "$tmp/a.json" "$tmp/b.json"
grep -q truncated "$tmp/out" || fail "no 'truncated' in: $(cat "$tmp/out")"
expect_rc 2 "$efaas" groth16 prove "$fx/circuit.zkey" "$fx/circuit.zkey" "$tmp/a.json" "$tmp/b.json"
echo "groth16 CLI: ok"

#!/bin/sh
# End-to-end CLI check: prove, verify (0), a different module (1), a truncated bundle (2).
set -u
EFAAS="$1"; SRC="$2"; DIR=$(mktemp -d); trap 'rm -rf "$DIR"' EXIT
wat2wasm "$SRC/sum.wat" -o "$DIR/sum.wasm" || exit 1
sed 's/i32.const 1/i32.const 2/' "$SRC/sum.wat" > "$DIR/other.wat"
wat2wasm "$DIR/other.wat" -o "$DIR/other.wasm" || exit 1
"$EFAAS" prove "$DIR/sum.wasm" --invoke sum 12 -o "$DIR/p.bin" --preset test || exit 1
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/p.bin" --min-bits 0 --json > "$DIR/out.json"; rc=$?
[ $rc -eq 0 ] || { echo "valid proof: exit $rc"; exit 1; }
grep -q '"results"' "$DIR/out.json" && grep -q '78' "$DIR/out.json" || { echo "no result 78"; exit 1; }
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/p.bin"; rc=$?
[ $rc -eq 1 ] || { echo "20-bit proof under --min-bits 100: exit $rc, want 1"; exit 1; }
"$EFAAS" verify "$DIR/other.wasm" "$DIR/p.bin" --min-bits 0; rc=$?
[ $rc -eq 1 ] || { echo "other module: exit $rc, want 1"; exit 1; }
head -c 200 "$DIR/p.bin" > "$DIR/cut.bin"
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/cut.bin" --min-bits 0; rc=$?
[ $rc -eq 2 ] || { echo "truncated bundle: exit $rc, want 2"; exit 1; }
# A byte after the bundle, and a bundle of version 7 (before the exit cursors): bad input (2),
# named in the message.
{ cat "$DIR/p.bin"; printf 'x'; } > "$DIR/extra.bin"
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/extra.bin" --min-bits 0 2> "$DIR/extra.txt"; rc=$?
[ $rc -eq 2 ] && grep -q 'trailing bytes: 1 after' "$DIR/extra.txt" || { cat "$DIR/extra.txt"; echo "trailing byte: exit $rc, want 2"; exit 1; }
cp "$DIR/p.bin" "$DIR/v7.bin"
printf '\007' | dd of="$DIR/v7.bin" bs=1 seek=8 conv=notrunc 2> /dev/null
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/v7.bin" --min-bits 0 2> "$DIR/v7.txt"; rc=$?
[ $rc -eq 2 ] && grep -q 'bundle version 7 is not supported' "$DIR/v7.txt" || { cat "$DIR/v7.txt"; echo "v7 bundle: exit $rc, want 2"; exit 1; }
# A trap is a provable outcome: integer divide by zero proves and verifies as status "trapped".
printf '(module (func (export "div") (param i32 i32) (result i32) (i32.div_u (local.get 0) (local.get 1))))' > "$DIR/div.wat"
wat2wasm "$DIR/div.wat" -o "$DIR/div.wasm" || exit 1
"$EFAAS" prove "$DIR/div.wasm" --invoke div 7 0 -o "$DIR/t.bin" --preset test > /dev/null || exit 1
"$EFAAS" verify "$DIR/div.wasm" "$DIR/t.bin" --min-bits 0 > "$DIR/t.txt"; rc=$?
[ $rc -eq 0 ] || { echo "trapped run: exit $rc"; exit 1; }
grep -q 'trapped: integer divide by zero' "$DIR/t.txt" || { cat "$DIR/t.txt"; echo "no trap"; exit 1; }
# Out of gas is an exit status with the gas limit public: verify prints it.
"$EFAAS" prove "$DIR/sum.wasm" --invoke sum 1000 --gas 40 -o "$DIR/g.bin" --preset test > /dev/null || exit 1
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/g.bin" --min-bits 0 > "$DIR/g.txt"; rc=$?
[ $rc -eq 0 ] || { echo "out-of-gas run: exit $rc"; exit 1; }
grep -q 'trapped: out of gas' "$DIR/g.txt" && grep -q 'gas limit: 40' "$DIR/g.txt" || { cat "$DIR/g.txt"; echo "no gas limit"; exit 1; }
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/g.bin" --min-bits 0 --json | grep -q '"gas_limit": *40' || { echo "no gas_limit in JSON"; exit 1; }
# An Extension: its input bound to the proof, its output printed by verify.
wat2wasm "$SRC/echo_ext.wat" -o "$DIR/echo.wasm" || exit 1
"$EFAAS" prove "$DIR/echo.wasm" --input 0102ff -o "$DIR/e.bin" --preset test || exit 1
"$EFAAS" verify "$DIR/echo.wasm" "$DIR/e.bin" --min-bits 0 --json > "$DIR/e.json"; rc=$?
[ $rc -eq 0 ] || { echo "Extension proof: exit $rc"; exit 1; }
grep -q '"output": "5b58a500000000000000"' "$DIR/e.json" || { echo "no output"; cat "$DIR/e.json"; exit 1; }
grep -q '"public_input_keccak256"' "$DIR/e.json" || { echo "no input commitment"; exit 1; }
# efaas.abort is an exit status with its code public: verify prints it.
printf '(module (import "efaas" "abort" (func $a (param i32))) (memory (export "memory") 1) (func (export "efaas_main") (result i32) (call $a (i32.const -7)) (i32.const 0)))' > "$DIR/abort.wat"
wat2wasm "$DIR/abort.wat" -o "$DIR/abort.wasm" || exit 1
"$EFAAS" prove "$DIR/abort.wasm" --input 00 -o "$DIR/a.bin" --preset test > /dev/null || exit 1
"$EFAAS" verify "$DIR/abort.wasm" "$DIR/a.bin" --min-bits 0 > "$DIR/a.txt"; rc=$?
[ $rc -eq 0 ] || { echo "aborted run: exit $rc"; exit 1; }
grep -q 'aborted with code -7' "$DIR/a.txt" || { cat "$DIR/a.txt"; echo "no abort code"; exit 1; }
"$EFAAS" verify "$DIR/abort.wasm" "$DIR/a.bin" --min-bits 0 --json | grep -q '"abort_code": *-7' || { echo "no abort_code in JSON"; exit 1; }
# Continuations: a run split into segments of 2^5 rows proves and verifies; verify reports them.
"$EFAAS" prove "$DIR/sum.wasm" --invoke sum 12 -o "$DIR/s.bin" --preset test --segment-log 5 || exit 1
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/s.bin" --min-bits 0 --json > "$DIR/s.json"; rc=$?
[ $rc -eq 0 ] || { echo "valid split proof: exit $rc"; exit 1; }
grep -q '"segments": *[2-9]' "$DIR/s.json" || { echo "no segment count"; cat "$DIR/s.json"; exit 1; }
"$EFAAS" prove "$DIR/sum.wasm" --invoke sum 12 -o "$DIR/x.bin" --segment-log 2; rc=$?
[ $rc -eq 2 ] || { echo "--segment-log 2: exit $rc, want 2"; exit 1; }
# The private input (kind 4): read by the Extension, its Poseidon2 digest public in verify's
# output (another private input, another digest); --private without --input is bad usage.
printf '(module (import "efaas" "input_size" (func $s (param i32) (result i32))) (import "efaas" "input_read" (func $r (param i32 i32 i32 i32) (result i32))) (import "efaas" "output_write" (func $o (param i32 i32))) (memory (export "memory") 1) (func (export "efaas_main") (result i32) (drop (call $r (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 16))) (call $o (i32.const 0) (i32.const 2)) (call $s (i32.const 4))))' > "$DIR/priv.wat"
wat2wasm "$DIR/priv.wat" -o "$DIR/priv.wasm" || exit 1
"$EFAAS" prove "$DIR/priv.wasm" --input 00 --private 0a0b0c -o "$DIR/pv.bin" --preset test > /dev/null || exit 1
"$EFAAS" verify "$DIR/priv.wasm" "$DIR/pv.bin" --min-bits 0 --json > "$DIR/pv.json"; rc=$?
[ $rc -eq 0 ] || { echo "private-input proof: exit $rc"; exit 1; }
grep -q '"output": "0a0b"' "$DIR/pv.json" || { echo "no private bytes read"; cat "$DIR/pv.json"; exit 1; }
d1=$(grep -o '"private_input_digest": *"[0-9a-f]*"' "$DIR/pv.json")
[ -n "$d1" ] || { echo "no private digest"; cat "$DIR/pv.json"; exit 1; }
"$EFAAS" verify "$DIR/priv.wasm" "$DIR/pv.bin" --min-bits 0 | grep -q 'private input digest' || { echo "no digest in text output"; exit 1; }
"$EFAAS" prove "$DIR/priv.wasm" --input 00 --private 0a0b0d -o "$DIR/pw.bin" --preset test > /dev/null || exit 1
d2=$("$EFAAS" verify "$DIR/priv.wasm" "$DIR/pw.bin" --min-bits 0 --json | grep -o '"private_input_digest": *"[0-9a-f]*"')
[ -n "$d2" ] && [ "$d1" != "$d2" ] || { echo "digests: $d1 / $d2"; exit 1; }
"$EFAAS" prove "$DIR/priv.wasm" --invoke efaas_main --private 0a -o "$DIR/px.bin" --preset test; rc=$?
[ $rc -eq 2 ] || { echo "--private without --input: exit $rc, want 2"; exit 1; }
# The Merkle hash: the test preset commits with Poseidon2, verify names it and --merkle-hash
# rejects another (1); production commits with BLAKE3; an unknown hash name is bad usage (2).
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/p.bin" --min-bits 0 --json | grep -q '"merkle_hash": *"poseidon2"' || { echo "no merkle_hash in JSON"; exit 1; }
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/p.bin" --min-bits 0 --merkle-hash poseidon2 > /dev/null; rc=$?
[ $rc -eq 0 ] || { echo "--merkle-hash poseidon2 on a Poseidon2 proof: exit $rc, want 0"; exit 1; }
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/p.bin" --min-bits 0 --merkle-hash blake3 > "$DIR/mh.txt"; rc=$?
[ $rc -eq 1 ] && grep -q 'accepts only blake3' "$DIR/mh.txt" || { cat "$DIR/mh.txt"; echo "--merkle-hash blake3 on a Poseidon2 proof: exit $rc, want 1"; exit 1; }
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/p.bin" --min-bits 0 --merkle-hash sha256; rc=$?
[ $rc -eq 2 ] || { echo "--merkle-hash sha256: exit $rc, want 2"; exit 1; }
"$EFAAS" prove "$DIR/sum.wasm" --invoke sum 12 -o "$DIR/b.bin" --preset production > "$DIR/b.txt" || exit 1
grep -q 'Merkle hash blake3' "$DIR/b.txt" || { cat "$DIR/b.txt"; echo "no Merkle hash in prove's output"; exit 1; }
"$EFAAS" verify "$DIR/sum.wasm" "$DIR/b.bin" --merkle-hash blake3 | grep -q 'Merkle hash blake3' || { echo "production proof: not verified as BLAKE3"; exit 1; }
echo "zkwasm CLI ok"

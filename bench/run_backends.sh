#!/usr/bin/env bash
# The per-backend zkWASM table of bench/RESULTS.md ("Backends at 2^20 / 2^22"): one
# zkwasm_bench process per (size, workload, backend), the AVX2 run first in each group so that
# ratios come from one sitting. Sizes above 2^20 run as continuations of 2^20-row segments,
# one worker, the trace streamed from a file (what the issue's 2^22 row measures).
#
#   bench/run_backends.sh [-s "16 20 22"] [-w "sha256 mixed"] [-b "avx2 scalar opencl"]
#                         [-B build] [-o outdir] [-k]
#   -k: keep each run's bundle and compare the group's bundles byte for byte with the first
#       backend's (every backend proves the same bytes; reported on stderr).
#
# Prints one table row per run (zkwasm_bench's columns plus uptime's 1-minute load at the start
# and the end) and keeps each run's full output (per-table and per-stage breakdowns, peak RSS
# from /usr/bin/time -v) under the output directory. 2^22 mixed is skipped: the issue asks
# for SHA-256 there (pass -w mixed with -s 22 and it runs anyway).
set -euo pipefail

sizes="16 20 22"
workloads="sha256 mixed"
workloads_given=0
backends="avx2 scalar opencl"
build=build
out=""
keep=0
while getopts "s:w:b:B:o:kh" opt; do
  case $opt in
    s) sizes=$OPTARG ;;
    w) workloads=$OPTARG; workloads_given=1 ;;
    b) backends=$OPTARG ;;
    B) build=$OPTARG ;;
    o) out=$OPTARG ;;
    k) keep=1 ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
bench="$build/bin/zkwasm_bench"
[[ -x $bench ]] || { echo "no $bench: build the zkwasm_bench target first" >&2; exit 2; }
out=${out:-$(mktemp -d /tmp/run_backends.XXXXXX)}
mkdir -p "$out"
load() { cut -d' ' -f1 /proc/loadavg; }

echo "# $(date -u '+%F %T UTC') $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs, logs in $out"
echo "| workload | log | backend | load start/end | instructions | instr/s wall | instr/CPU-s | prove s | CPU s | witness | LDE | commit | LogUp | quotient | OOD+DEEP | FRI | key setup s | verify ms | proof KB | bits | peak MiB |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for log in $sizes; do
  for w in $workloads; do
    if [[ $log -gt 20 && $w != sha256 && $workloads_given == 0 ]]; then continue; fi
    for b in $backends; do
      name="$w-$log-$b"
      args=(--log "$log" --backend "$b" --preset production --workload "$w" --wasm-dir "$build/wasm")
      if [[ $log -gt 20 ]]; then
        args+=(--segment-log 20 --workers 1 --stream "$out/$name.trace")
      fi
      [[ $keep == 1 ]] && args+=(--proof-out "$out/$name.bundle")
      l0=$(load)
      if ! /usr/bin/time -v "$bench" "${args[@]}" >"$out/$name.out" 2>"$out/$name.err"; then
        echo "| $w | $log | $b | $l0/$(load) | FAILED: see $out/$name.err |"
        continue
      fi
      rm -f "$out/$name.trace"
      row=$(grep '^| ' "$out/$name.out" | tail -1)
      # zkwasm_bench's row starts "| workload | instructions | backend |": put log and load in.
      rest=$(cut -d'|' -f5- <<<"$row")
      n=$(cut -d'|' -f3 <<<"$row" | tr -d ' ')
      echo "| $w | $log | $b | $l0/$(load) | $n |$rest"
    done
    if [[ $keep == 1 ]]; then
      first=""
      for b in $backends; do
        f="$out/$w-$log-$b.bundle"
        [[ -f $f ]] || continue
        if [[ -z $first ]]; then first=$f; continue; fi
        if cmp -s "$first" "$f"; then
          echo "$w 2^$log: $b bundle identical to $(basename "$first")" >&2
        else
          echo "$w 2^$log: $b bundle DIFFERS from $(basename "$first")" >&2
        fi
      done
    fi
  done
done

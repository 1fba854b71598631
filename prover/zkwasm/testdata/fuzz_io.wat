;; zkwasm_bundle_fuzz (bundle_fuzz.cpp embeds its bytes): split into segments of 2^4 rows, a run
;; of it has exit cursors inside the private read's I/O rows (8 bytes a row) and $wide's
;; zero-local rows, a private input digest, and an abort when Data is empty.
(module
  (import "efaas" "input_size" (func $isz (param i32) (result i32)))
  (import "efaas" "input_read" (func $ird (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $out (param i32 i32)))
  (import "efaas" "abort" (func $abort (param i32)))
  (memory (export "memory") 1)
  (func $wide (param i32) (result i32) (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (i32.add (local.get 0) (i32.const 1)))
  (func (export "efaas_main") (result i32) (local $n i32)
    (local.set $n (call $ird (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 256)))
    (drop (call $wide (local.get $n)))
    (call $out (i32.const 0) (i32.const 20))
    (drop (call $ird (i32.const 0) (i32.const 0) (i32.const 64) (i32.const 20)))
    (call $out (i32.const 64) (i32.const 20))
    (if (i32.eqz (call $isz (i32.const 0)))
      (then (call $abort (i32.const 3))))
    (local.get $n)))

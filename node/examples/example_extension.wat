;; The example Extension of the node's tests and demo (docs/node.md, "What a zkWASM PostOp proves").
;;
;; It uses only opcodes the zkWASM prover constrains today (no linear memory, no host calls), so
;; efaas_main reads no Operation data: it computes sum_{i=1}^{100} i*i = 338350 and returns it,
;; and that return value is the PostOp's output. When zkWASM proves memory and host I/O, replace
;; this file with a C Extension that reads input_read(...) and writes output_write(...); the
;; node, the tests and the demo take whatever module this file builds.
(module
  (func $square (export "square") (param $x i32) (result i32)
    (i32.mul (local.get $x) (local.get $x)))
  (func (export "efaas_main") (result i32) (local $i i32) (local $s i32)
    (local.set $i (i32.const 100))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $s (i32.add (local.get $s) (call $square (local.get $i))))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $s)))

;; An Extension for the CLI test: output = (Data XOR 0x5a) || To[3..10); exit code 0.
(module
  (import "efaas" "input_size" (func $size (param i32) (result i32)))
  (import "efaas" "input_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "efaas" "output_write" (func $write (param i32 i32)))
  (memory (export "memory") 1)
  (func (export "efaas_main") (result i32) (local $n i32) (local $i i32)
    (local.set $n (call $size (i32.const 0)))
    (drop (call $read (i32.const 0) (i32.const 0) (i32.const 1003) (local.get $n)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 offset=1003 (local.get $i)
        (i32.xor (i32.load8_u offset=1003 (local.get $i)) (i32.const 0x5a)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (if (local.get $n) (then (call $write (i32.const 1003) (local.get $n))))
    (drop (call $read (i32.const 1) (i32.const 3) (i32.const 50) (i32.const 7)))
    (call $write (i32.const 50) (i32.const 7))
    (i32.sub (call $size (i32.const 3)) (i32.const 32))))

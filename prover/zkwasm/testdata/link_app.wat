;; Imports link_lib.wat's memory, table and function; calls it directly and through the table.
(module
  (import "lib" "mem" (memory 1))
  (import "lib" "tab" (table 2 funcref))
  (import "lib" "scale" (func $scale (param i32) (result i32)))
  (type $t (func (param i32) (result i32)))
  (func (export "run") (param $x i32) (result i32)
    (i32.add (call $scale (local.get $x))
             (call_indirect (type $t) (local.get $x) (i32.const 0)))))

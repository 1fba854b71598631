;; linking.wast's $Mm / $Mt, extended by stores, memory.size and memory.grow on its memory and
;; call_indirect through its table: the library ("Mm") of the multi-memory, multi-table linking
;; tests of prover/wasm (wasm_test) and prover/zkwasm (linking_test), which link their own app
;; modules against it.
(module
  (type $r (func (result i32)))
  (memory (export "mem") 1 5)
  (data (i32.const 10) "\00\01\02\03\04\05\06\07\08\09")
  (table (export "tab") 10 funcref)
  (elem (i32.const 2) $g $g $g $g)
  (func $g (result i32) (i32.const 4))
  (func (export "h") (result i32) (i32.const -4))
  (func (export "load") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "store") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))
  (func (export "size") (result i32) (memory.size))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "call") (param i32) (result i32) (call_indirect (type $r) (local.get 0))))

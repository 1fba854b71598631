;; A library for the linked-modules CLI test (CMakeLists.txt, ZkwasmCli.ProveLinkedModules): it
;; owns the memory and the table that link_app.wat imports.
(module
  (memory (export "mem") 1)
  (table (export "tab") 2 funcref)
  (func $scale (export "scale") (param $x i32) (result i32)
    (i32.add (i32.mul (local.get $x) (i32.const 3)) (i32.load (i32.const 16))))
  (elem (i32.const 0) $scale)
  (data (i32.const 16) "\07\00\00\00"))

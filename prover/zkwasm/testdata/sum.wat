(module
  (func (export "sum") (param $n i32) (result i32) (local $s i32)
    (block $d (loop $l
      (br_if $d (i32.eqz (local.get $n)))
      (local.set $s (i32.add (local.get $s) (local.get $n)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $s)))

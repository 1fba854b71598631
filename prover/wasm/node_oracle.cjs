// Reference execution for the differential tests: runs jobs against a module in Node.js's
// WebAssembly engine (V8). Usage: node node_oracle.cjs MODULE.wasm < jobs.json
//   jobs: [{"mode": "run" | "main", "input": hex}]; "run" writes the input to io_buffer() and
//   calls run(len); "main" calls efaas_main() with the input as Operation.Data through the
//   Extension ABI (implemented here in JS, independently of the C++ host).
// Prints [{"output": hex, "exit": n} | {"trap": message}], one per job.
'use strict';
const fs = require('fs');

const bytes = fs.readFileSync(process.argv[2]);
const jobs = JSON.parse(fs.readFileSync(0, 'utf8'));
const wasmModule = new WebAssembly.Module(bytes);

function hex(u8) { return Buffer.from(u8).toString('hex'); }

const results = [];
for (const job of jobs) {
  const input = Buffer.from(job.input, 'hex');
  const output = [];
  let memory = null;
  const inputs = [input, Buffer.alloc(20), Buffer.alloc(20), Buffer.alloc(32), Buffer.alloc(0)];
  const efaas = {
    input_size: (kind) => {
      if (kind >>> 0 >= inputs.length) throw new Error('unknown input kind');
      return inputs[kind].length;
    },
    input_read: (kind, offset, dst, len) => {
      const src = inputs[kind];
      offset >>>= 0; dst >>>= 0; len >>>= 0;
      const n = offset >= src.length ? 0 : Math.min(len, src.length - offset);
      new Uint8Array(memory.buffer, dst, n).set(src.subarray(offset, offset + n));
      return n;
    },
    output_write: (src, len) => {
      output.push(Buffer.from(new Uint8Array(memory.buffer, src >>> 0, len >>> 0)));
    },
    abort: (code) => { throw new Error('abort ' + code); },
  };
  try {
    const inst = new WebAssembly.Instance(wasmModule, { efaas });
    memory = inst.exports.memory;
    if (job.mode === 'main') {
      const exit = inst.exports.efaas_main();
      results.push({ output: hex(Buffer.concat(output)), exit });
    } else {
      const ptr = inst.exports.io_buffer() >>> 0;
      new Uint8Array(memory.buffer, ptr, input.length).set(input);
      const n = inst.exports.run(input.length) >>> 0;
      const out = inst.exports.out_buffer() >>> 0;
      results.push({ output: hex(new Uint8Array(memory.buffer, out, n)), exit: 0 });
    }
  } catch (e) {
    results.push({ trap: String(e && e.message) });
  }
}
process.stdout.write(JSON.stringify(results));

// The end-to-end demo (README's main command runs it through tools/demo.sh): a local chain with
// the example Extension registered, an efaas-farm, and one efaas-node with the embedded defaults
// proving through the farm. A user's ethers-signed Operation goes in; the node runs the
// Extension, streams its trace to the farm, gets the zkWASM proof, verifies the PostOp and keeps
// it. The demo prints the PostOp, a verification with a signed verdict (and a tampered copy
// rejected), a groth16 PostOp checked by its registered verifier, and the time of each stage.
//
//   node node/scripts/demo.mjs [build-dir]      (default: build)
//   EFAAS_DEMO_PRESET=test for the fast FRI preset (the node then accepts 20-bit proofs)
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { ethers, kTypes } from "../../contracts/scripts/chain.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const build = path.resolve(process.argv[2] ?? path.join(root, "build"));
const preset = process.env.EFAAS_DEMO_PRESET ?? "production";
// The example Extension: one clearly named module (see the file's header to switch it).
const exampleWat = path.join(root, "node/examples/example_extension.wat");
const children = [];
const work = fs.mkdtempSync(path.join(os.tmpdir(), "efaas-demo-"));
const cleanup = () => {
  for (const c of children) c.kill("SIGTERM");
  fs.rmSync(work, { recursive: true, force: true });
};
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

// Starts a daemon; resolves with its first stdout line (JSON) or the contents of readyFile.
function start(cmd, args, { env = {}, log = null } = {}) {
  const stderr = log ? fs.openSync(log, "a") : "inherit";
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", stderr] });
  children.push(child);
  const lines = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    lines.once("line", (line) => resolve({ ...JSON.parse(line), pid: child.pid }));
    child.once("exit", (code) => reject(new Error(`${cmd} exited with ${code}` + (log ? `; log: ${fs.readFileSync(log, "utf8")}` : ""))));
  });
}

const timings = [];
async function stage(name, fn) {
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  timings.push([name, ms]);
  console.log(`[${ms.toFixed(0).padStart(6)} ms] ${name}`);
  return result;
}

let port;
let id = 1;
async function rpc(method, params = []) {
  const res = await fetch(`http://127.0.0.1:${port}/`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: id++, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}
const short = (hex, n = 18) => (hex.length > 2 * n + 2 ? `${hex.slice(0, n + 2)}…${hex.slice(-8)} (${(hex.length - 2) / 2} bytes)` : hex);

const wasm = path.join(work, "example_extension.wasm");
await stage("example Extension compiled (node/examples/example_extension.wat)", () =>
  execFileSync("wat2wasm", [exampleWat, "-o", wasm]));
const chain = await stage("local chain: ganache + ExtensionRegistry + ConsensusContract, 3 staked nodes, example Extension registered",
  () => start("node", [path.join(root, "node/scripts/devchain.mjs"), "--wasm", wasm], { env: { EFAAS_CONTRACTS_DIR: path.join(build, "contracts") } }));
console.log(`    Extension ${chain.extensionId} = keccak256 of its ${chain.wasmSize}-byte module`);

const store = path.join(work, "farm");
fs.mkdirSync(store);
const ports = path.join(store, "ports.json");
let farmPid;
// CPU seconds (user + system) a process has used so far (Linux /proc, 100 ticks per second).
const cpuSeconds = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};
await stage("efaas-farm started", async () => {
  const child = spawn(path.join(build, "bin/efaas-farm"), ["--store", store, "--ports-file", ports, "--log-level", "warn"],
    { stdio: ["ignore", "ignore", fs.openSync(path.join(work, "farm.log"), "a")] });
  children.push(child);
  farmPid = child.pid;
  for (let i = 0; i < 600 && !fs.existsSync(ports); ++i) {
    if (child.exitCode !== null) throw new Error(`efaas-farm exited: ${fs.readFileSync(path.join(work, "farm.log"), "utf8")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 100));
});
const farm = JSON.parse(fs.readFileSync(ports, "utf8"));
console.log(`    farm 127.0.0.1:${farm.farm}, admin 127.0.0.1:${farm.admin}`);
const keyFile = path.join(work, "farm.key");
await stage("farm tenant for the node (efaas farm admin create-tenant)", () => {
  const key = execFileSync(path.join(build, "bin/efaas"), ["farm", "admin", "create-tenant", "demo-node", "--balance",
    "1000000000", "--admin", `127.0.0.1:${farm.admin}`, "--admin-token-file", path.join(store, "admin.token")]).toString().trim();
  fs.writeFileSync(keyFile, key + "\n", { mode: 0o600 });
});

const nodeArgs = ["--eth-rpc", chain.rpc, "--registry", chain.registry, "--consensus", chain.consensus,
  "--data-dir", path.join(work, "node"), "--listen-port", "0", "--log-level", "warn",
  "--farm", `127.0.0.1:${farm.farm}`, "--farm-api-key-file", keyFile, "--zkwasm-preset", preset];
if (preset === "test") nodeArgs.push("--min-security-bits", "20");
const ready = await stage("efaas-node started (embedded defaults, farm configured)", () =>
  start(path.join(build, "bin/efaas-node"), nodeArgs, { log: path.join(work, "node.log") }));
port = ready.port;
console.log(`    node ${ready.address} on port ${port}`);
const exts = await stage("efaas_listExtensions", () => rpc("efaas_listExtensions"));
for (const e of exts) console.log(`    ${e.id} ${e.mode}${e.served ? " (served)" : ""}`);

const sent = await stage("efaas_sendOperation (signed by the user with ethers)", () => rpc("efaas_sendOperation", [chain.operation]));
console.log(`    operation ${sent.operationHash} from ${sent.sender}`);
const farmCpu0 = cpuSeconds(farmPid), nodeCpu0 = cpuSeconds(ready.pid);
const status = await stage(`proving: run, trace streamed to the farm, zkWASM proof (${preset} preset), PostOp self-verified`, async () => {
  for (;;) {
    const s = await rpc("efaas_getOperation", [sent.operationHash]);
    if (["proved", "proving_failed", "proving_retry", "proving_unavailable"].includes(s.status)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
});
console.log(`    status ${status.status}: ${status.detail}`);
console.log(`    process CPU time over this stage: farm ${(cpuSeconds(farmPid) - farmCpu0).toFixed(2)} s, node ${(cpuSeconds(ready.pid) - nodeCpu0).toFixed(2)} s`);
if (status.status !== "proved") {
  console.error(fs.readFileSync(path.join(work, "node.log"), "utf8").split("\n").slice(-10).join("\n"));
  process.exit(1);
}
const stageNames = { execute: "sizing run", stream: "traced run, streamed to the farm", farmProve: "farm: proving after the last byte",
  verify: "node: verification of the PostOp", peers: "peers' verdicts" };
for (const [k, label] of Object.entries(stageNames)) {
  if (status.timings && k in status.timings) console.log(`      ${(status.timings[k] * 1000).toFixed(0).padStart(6)} ms  ${label}`);
}
const [post] = await rpc("efaas_getPostOps", [sent.operationHash]);
const p = post.postOp;
const result = ethers.toBigInt(ethers.getBytes(p.data).reverse());
console.log("    PostOp");
console.log(`      hash               ${post.postOpHash}`);
console.log(`      operationHash      ${p.operationHash}`);
console.log(`      extensionId        ${p.extensionId}`);
console.log(`      processedBlockHash ${p.processedBlockHash} (block ${post.processedBlockNumber})`);
console.log(`      data               ${p.data} = efaas_main's result ${result} (sum of i*i for i = 1..100)`);
console.log(`      proof              ${short(p.proof)}: Proof {extensionId, inputs, output, proofData = EFZKWASM bundle, metadata}`);

const verdict = await stage("efaas_submitPostOp: the PostOp verified again (zkWASM against the module, freshness)",
  () => rpc("efaas_submitPostOp", [p]));
console.log(`    verdict ${verdict.verdictName}: ${verdict.diagnostics}`);
console.log(`    signed by ${verdict.responderNodeId}: ${verdict.signature}`);
const tampered = { ...p, data: ethers.hexlify(ethers.toBeArray(result + 1n).reverse()).padEnd(18, "0") };
const bad = await stage("a tampered copy (its result changed) verified", () => rpc("efaas_submitPostOp", [tampered]));
console.log(`    verdict ${bad.verdictName}: ${bad.diagnostics}`);
if (verdict.verdictName !== "VALID" || bad.verdictName !== "INVALID") process.exit(1);

// A second Operation, for the Custom-mode groth16 Extension, answered by the fixture's proof.
if (chain.groth16) {
  const head = await rpc("efaas_chain");
  const domain = { name: "eFaaS", version: "1", chainId: chain.chainId, verifyingContract: chain.consensus };
  const op2 = { ...chain.operation, extensionId: chain.groth16.extensionId, blockHash: head.head.hash };
  delete op2.sig;
  op2.sig = await new ethers.Wallet(chain.userKey).signTypedData(domain, { Operation: kTypes.Operation }, op2);
  const sent2 = await stage("efaas_sendOperation (groth16 Extension)", () => rpc("efaas_sendOperation", [op2]));
  const postOp = { operationHash: sent2.operationHash, extensionId: chain.groth16.extensionId, proof: chain.groth16.proof,
    data: chain.groth16.data, processedBlockHash: head.head.hash };
  const v2 = await stage("efaas_submitPostOp (groth16 PostOp, checked by the registered verifier on-chain)",
    () => rpc("efaas_submitPostOp", [postOp]));
  console.log(`    verdict ${v2.verdictName} (${v2.diagnostics}) signed by ${v2.responderNodeId}`);
}
console.log("\nstage times (wall clock):");
for (const [name, ms] of timings) console.log(`  ${(ms / 1000).toFixed(2).padStart(7)} s  ${name}`);
process.exit(0);

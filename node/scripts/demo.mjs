// The node's end-to-end demo, as far as main goes today: a local chain (devchain.mjs), one
// efaas-node with the embedded defaults, the ethers-signed Operation sent and tracked, and a
// groth16 PostOp verified with a signed verdict. Prints each stage and the time it took.
// Proving through the farm (zkWASM) is not integrated yet: the Operation's status says so.
//
//   node node/scripts/demo.mjs [build-dir]      (default: build)
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { ethers, kTypes } from "../../contracts/scripts/chain.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const build = path.resolve(process.argv[2] ?? path.join(root, "build"));
const children = [];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "efaas-node-demo-"));
const cleanup = () => {
  for (const c of children) c.kill("SIGTERM");
  fs.rmSync(dataDir, { recursive: true, force: true });
};
process.on("exit", cleanup);
process.on("SIGINT", () => process.exit(130));

function start(cmd, args, env = {}) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  const lines = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    lines.once("line", (line) => resolve(JSON.parse(line)));
    child.once("exit", (code) => reject(new Error(`${cmd} exited with ${code}`)));
  });
}

async function stage(name, fn) {
  const t0 = performance.now();
  const result = await fn();
  console.log(`[${(performance.now() - t0).toFixed(0).padStart(6)} ms] ${name}`);
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

const chain = await stage("local chain: ganache + ExtensionRegistry + ConsensusContract, 3 staked nodes, 2 Extensions",
  () => start("node", [path.join(root, "node/scripts/devchain.mjs")], { EFAAS_CONTRACTS_DIR: path.join(build, "contracts") }));
const ready = await stage("efaas-node started", () =>
  start(path.join(build, "bin/efaas-node"), ["--eth-rpc", chain.rpc, "--registry", chain.registry, "--consensus",
    chain.consensus, "--data-dir", dataDir, "--listen-port", "0", "--log-level", "warn"]));
port = ready.port;
console.log(`    node ${ready.address} on port ${port}`);
const exts = await stage("efaas_listExtensions", () => rpc("efaas_listExtensions"));
for (const e of exts) console.log(`    ${e.id} ${e.mode}`);
const sent = await stage("efaas_sendOperation (signed by the user with ethers)", () => rpc("efaas_sendOperation", [chain.operation]));
console.log(`    operation ${sent.operationHash} from ${sent.sender}`);
await new Promise((r) => setTimeout(r, 1500));
const status = await stage("efaas_getOperation", () => rpc("efaas_getOperation", [sent.operationHash]));
console.log(`    status ${status.status}: ${status.detail}`);
// A second Operation, for the Custom-mode groth16 Extension, answered by the fixture's proof.
const head = await rpc("efaas_chain");
const domain = { name: "eFaaS", version: "1", chainId: chain.chainId, verifyingContract: chain.consensus };
const op2 = { ...chain.operation, extensionId: chain.groth16.extensionId, blockHash: head.head.hash };
delete op2.sig;
op2.sig = await new ethers.Wallet(chain.userKey).signTypedData(domain, { Operation: kTypes.Operation }, op2);
const sent2 = await stage("efaas_sendOperation (groth16 Extension)", () => rpc("efaas_sendOperation", [op2]));
const postOp = { operationHash: sent2.operationHash, extensionId: chain.groth16.extensionId, proof: chain.groth16.proof,
  data: chain.groth16.data, processedBlockHash: head.head.hash };
const verdict = await stage("efaas_submitPostOp (groth16 PostOp, checked by the registered verifier)",
  () => rpc("efaas_submitPostOp", [postOp]));
console.log(`    verdict ${verdict.verdictName} (${verdict.diagnostics}) signed by ${verdict.responderNodeId}`);
console.log(`    signature ${verdict.signature}`);
process.exit(0);

// A local eFaaS chain for the node's tests and demo: ganache on loopback with the
// ExtensionRegistry and ConsensusContract deployed, three staked nodes, a funded user with a
// deposit, and an example Extension registered. Prints one JSON line (addresses, keys, an
// ethers-signed Operation as an independent oracle) and runs until stdin closes or SIGTERM.
//
//   node node/scripts/devchain.mjs [--port N] [--slot-blocks N] [--wasm FILE]
// Needs EFAAS_CONTRACTS_DIR (build/contracts) or compiles the contracts into a temp directory.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { ganache, ethers, deploy, kDefaultParams, kChainId, kTypes, gasManagementData } from "../../contracts/scripts/chain.mjs";

const args = process.argv.slice(2);
const flag = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};

// Fixed keys (contracts/vectors.json): reproducible addresses and leaders.
const vectors = JSON.parse(fs.readFileSync(new URL("../../contracts/vectors.json", import.meta.url)));
const deployerKey = "0x" + "11".repeat(32);
const userKey = vectors.keys.user;
const nodeKeys = vectors.keys.nodes.slice(0, 3);

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

const port = Number(flag("port", "0")) || (await freePort());
const slotBlocks = BigInt(flag("slot-blocks", "10"));
const wasmFile = flag("wasm", null);
// A minimal valid module (magic + version + empty type section) when no example is given.
const wasm = wasmFile ? fs.readFileSync(wasmFile) : Buffer.from("0061736d010000000100", "hex");

const balance = "0x" + ethers.parseEther("1000000").toString(16);
const server = ganache.server({
  logging: { quiet: true },
  chain: { chainId: kChainId, hardfork: "shanghai" },
  wallet: { accounts: [deployerKey, userKey, ...nodeKeys].map((secretKey) => ({ secretKey, balance })) },
  miner: { blockGasLimit: 200_000_000 },
});
await server.listen(port, "127.0.0.1");
const rpc = `http://127.0.0.1:${port}`;

const provider = new ethers.JsonRpcProvider(rpc, kChainId, { staticNetwork: true, pollingInterval: 20, cacheTimeout: -1 });
const deployer = new ethers.NonceManager(new ethers.Wallet(deployerKey, provider));
const registry = await deploy(deployer, "ExtensionRegistry");
const p = { ...kDefaultParams, slotBlocks, quorum: 2n };
const consensus = await deploy(deployer, "ConsensusContract", await registry.getAddress(), p.minStake, p.unstakeDelay,
  p.slotBlocks, p.quorum, p.verifierShareBps, p.slashBps, p.reporterShareBps);

for (const key of nodeKeys) {
  const w = new ethers.Wallet(key, provider);
  await (await consensus.connect(w).stake({ value: p.minStake })).wait();
}
const user = new ethers.Wallet(userKey, provider);
await (await consensus.connect(user).deposit({ value: ethers.parseEther("10") })).wait();

const extensionId = ethers.keccak256(wasm);
await (await registry.connect(deployer).registerExtension(extensionId, wasm, "ipfs://example",
  { mode: 0, zkSystem: "zkwasm-stark", verificationKey: "0x", verifierURI: "", verifierContract: ethers.ZeroAddress })).wait();

// A Custom-mode groth16 Extension on the shared fixture key, and a PostOp proof/data for it in the
// contract's encoding (contracts/README.md), so the node's groth16 verification runs for real.
const fixture = path.join(process.env.EFAAS_SHARED_DIR ?? new URL("../../../shared", import.meta.url).pathname,
  "fixtures", "groth16", "poseidon_chain40");
let groth16 = null;
if (fs.existsSync(path.join(fixture, "verification_key.json"))) {
  const coder = ethers.AbiCoder.defaultAbiCoder();
  const vkJson = fs.readFileSync(path.join(fixture, "verification_key.json"));
  const proof = JSON.parse(fs.readFileSync(path.join(fixture, "snarkjs_proof.json")));
  const pub = JSON.parse(fs.readFileSync(path.join(fixture, "snarkjs_public.json")));
  const verifier = await deploy(deployer, "Groth16Verifier_poseidon_chain40");
  // Stands in for the module: Custom-mode Extensions are checked by their key, not by running it.
  const module = Buffer.from("efaas devchain: groth16 poseidon_chain40 example");
  const id = ethers.keccak256(module);
  await (await registry.connect(deployer).registerExtension(id, module, "ipfs://poseidon", {
    mode: 1, zkSystem: "groth16", verificationKey: vkJson, verifierURI: "", verifierContract: await verifier.getAddress(),
  })).wait();
  const a = proof.pi_a.slice(0, 2);
  const b = [[proof.pi_b[0][1], proof.pi_b[0][0]], [proof.pi_b[1][1], proof.pi_b[1][0]]];
  const c = proof.pi_c.slice(0, 2);
  groth16 = {
    extensionId: id,
    proof: coder.encode(["uint256[2]", "uint256[2][2]", "uint256[2]"], [a, b, c]),
    data: coder.encode(["uint256[]"], [pub.map(BigInt)]),
  };
  // The same circuit as a Custom-mode Extension a node can prove: its module is the circuit
  // manifest (node/prove/groth16.hpp), binding the witness generator and the zkey by keccak256.
  const manifest = Buffer.from(JSON.stringify({
    efaas: "groth16-circuit/1",
    wasm: ethers.keccak256(fs.readFileSync(path.join(fixture, "circuit.wasm"))),
    zkey: ethers.keccak256(fs.readFileSync(path.join(fixture, "circuit.zkey"))),
  }));
  const circuitId = ethers.keccak256(manifest);
  await (await registry.connect(deployer).registerExtension(circuitId, manifest, "ipfs://poseidon-circuit", {
    mode: 1, zkSystem: "groth16", verificationKey: vkJson, verifierURI: "", verifierContract: await verifier.getAddress(),
  })).wait();
  groth16.circuit = {
    extensionId: circuitId,
    artifactsDir: fixture,
    input: fs.readFileSync(path.join(fixture, "input.json"), "utf8"),
    data: groth16.data,  // the fixture's public signals: the circuit on input.json gives them
  };
}

const domain = { name: "eFaaS", version: "1", chainId: kChainId, verifyingContract: await consensus.getAddress() };
const head = await provider.getBlock("latest");
const op = {
  extensionId,
  to: ethers.ZeroAddress,
  gas: 1_000_000n,
  gasManagementData: gasManagementData(ethers.parseEther("0.01")),
  data: "0x68656c6c6f",
  blockHash: head.hash,
};
const sig = await user.signTypedData(domain, { Operation: kTypes.Operation }, op);

process.stdout.write(JSON.stringify({
  rpc,
  port,
  chainId: kChainId,
  registry: await registry.getAddress(),
  consensus: await consensus.getAddress(),
  genesisBlock: (await consensus.genesisBlock()).toString(),
  slotBlocks: slotBlocks.toString(),
  deployerKey,
  userKey,
  user: user.address,
  nodeKeys,
  nodes: nodeKeys.map((k) => new ethers.Wallet(k).address),
  extensionId,
  wasmSize: wasm.length,
  operation: { ...op, gas: op.gas.toString(), sig },
  operationHash: ethers.TypedDataEncoder.hash(domain, { Operation: kTypes.Operation }, op),
  groth16,
}) + "\n");

const shutdown = async () => {
  try {
    await server.close();
  } finally {
    process.exit(0);
  }
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
process.stdin.on("end", shutdown);
process.stdin.resume();

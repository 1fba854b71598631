// Shared by the contract tests and the gas report: artifacts, an in-process ganache chain,
// seeded wallets, deployment and the EIP-712 types of contracts/README.md (signed with ethers,
// which serves as the independent implementation the contracts are checked against).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { requireTool } from "./deps.mjs";
import { build } from "./build.mjs";

export const ganache = requireTool("ganache");
export const { ethers } = requireTool("ethers");

// ------------------------------------------------------------------------------ artifacts

let artifactsDir = null;

/// ABI + bytecode from EFAAS_CONTRACTS_DIR (set by CTest to build/contracts), else compiled once
/// per process into a temporary directory.
export function artifactDir() {
  if (artifactsDir) return artifactsDir;
  const env = process.env.EFAAS_CONTRACTS_DIR;
  if (env && fs.existsSync(path.join(env, "ConsensusContract.json"))) {
    artifactsDir = env;
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "efaas-contracts-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    build(dir);
    artifactsDir = dir;
  }
  return artifactsDir;
}

export function artifact(name) {
  const file = path.join(artifactDir(), `${name}.json`);
  if (!fs.existsSync(file)) throw new Error(`no artifact ${file}`);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

// ------------------------------------------------------------------------------- randomness

/// The seed of a randomized test: EFAAS_SEED if set, else fresh; printed like test_seed() in C++.
export function testSeed(what) {
  const seed = process.env.EFAAS_SEED ? BigInt(process.env.EFAAS_SEED) : BigInt(ethers.hexlify(ethers.randomBytes(8)));
  process.stderr.write(`[${what}] seed=${seed} (rerun with EFAAS_SEED=${seed})\n`);
  return seed;
}

/// Deterministic byte stream: keccak256(seed || counter).
export class Rng {
  constructor(seed) {
    this.seed = ethers.toBeHex(seed, 32);
    this.counter = 0n;
  }
  bytes(n) {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = ethers.getBytes(ethers.solidityPackedKeccak256(["bytes32", "uint256"], [this.seed, this.counter++]));
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  }
  below(n) {
    return Number(BigInt(ethers.hexlify(this.bytes(8))) % BigInt(n));
  }
  bytes32() {
    return ethers.hexlify(this.bytes(32));
  }
  wallet(provider) {
    for (;;) {
      const key = this.bytes32();
      try {
        return new ethers.Wallet(key, provider);
      } catch {
        // a key outside [1, n): draw again
      }
    }
  }
}

// ------------------------------------------------------------------------------------ chain

export const kChainId = 1337;

/// An in-process ganache chain (no ports); close() when done.
export async function startChain({ blockGasLimit = 200_000_000 } = {}) {
  const g = ganache.provider({
    logging: { quiet: true },
    chain: { chainId: kChainId, hardfork: "shanghai" },
    wallet: { totalAccounts: 1, defaultBalance: 1_000_000 },
    miner: { blockGasLimit },
  });
  // Gas estimates get a margin, as wallets add one: an estimate made at one block timestamp can
  // fall short at the next (requestUnstake rewrites unlockTime only if the time moved, which also
  // changes the refund of removing a node from the active set).
  const eip1193 = {
    async request(args) {
      const result = await g.request(args);
      if (args.method !== "eth_estimateGas") return result;
      return ethers.toQuantity((BigInt(result) * 5n) / 4n + 10_000n);
    },
  };
  const provider = new ethers.BrowserProvider(eip1193, undefined, { pollingInterval: 5, cacheTimeout: -1 });
  const deployer = await provider.getSigner(0);
  return {
    provider,
    deployer,
    eip1193: g, // unwrapped: exact estimates

    async fund(address, wei = ethers.parseEther("1000")) {
      await provider.send("evm_setAccountBalance", [address, ethers.toQuantity(wei)]);
    },
    async mine(blocks = 1) {
      await provider.send("evm_mine", [{ blocks }]);
    },
    async increaseTime(seconds) {
      await provider.send("evm_increaseTime", [ethers.toQuantity(seconds)]);
      await provider.send("evm_mine", []);
    },
    async blockNumber() {
      return BigInt(await provider.getBlockNumber());
    },
    async close() {
      await g.disconnect();
    },
  };
}

export async function deploy(signer, name, ...args) {
  const a = artifact(name);
  const factory = new ethers.ContractFactory(a.abi, a.bytecode, signer);
  const c = await factory.deploy(...args);
  await c.waitForDeployment();
  return c;
}

export const kDefaultParams = {
  minStake: ethers.parseEther("10"),
  unstakeDelay: 7n * 24n * 3600n,
  slotBlocks: 1_000_000n,
  quorum: 3n,
  verifierShareBps: 3000n,
  slashBps: 5000n,
  reporterShareBps: 2000n,
};

export async function deployStack(chain, params = {}) {
  const p = { ...kDefaultParams, ...params };
  const registry = await deploy(chain.deployer, "ExtensionRegistry");
  const consensus = await deploy(
    chain.deployer,
    "ConsensusContract",
    await registry.getAddress(),
    p.minStake,
    p.unstakeDelay,
    p.slotBlocks,
    p.quorum,
    p.verifierShareBps,
    p.slashBps,
    p.reporterShareBps,
  );
  return { registry, consensus, params: p, domain: await eip712Domain(consensus) };
}

// ------------------------------------------------------------------------------ EIP-712 types

export const Verdict = { None: 0, Valid: 1, Invalid: 2, Error: 3 };
export const Mode = { Universal: 0, Custom: 1 };

export const kTypes = {
  Operation: [
    { name: "extensionId", type: "bytes32" },
    { name: "to", type: "address" },
    { name: "gas", type: "uint256" },
    { name: "gasManagementData", type: "bytes" },
    { name: "data", type: "bytes" },
    { name: "blockHash", type: "bytes32" },
  ],
  PostOp: [
    { name: "operationHash", type: "bytes32" },
    { name: "extensionId", type: "bytes32" },
    { name: "proof", type: "bytes" },
    { name: "data", type: "bytes" },
    { name: "processedBlockHash", type: "bytes32" },
  ],
  ProofVerificationResponse: [
    { name: "requestId", type: "bytes32" },
    { name: "responderNodeId", type: "address" },
    { name: "verdict", type: "uint8" },
    { name: "diagnostics", type: "string" },
    { name: "timestamp", type: "uint64" },
  ],
};

export async function eip712Domain(consensus) {
  return { name: "eFaaS", version: "1", chainId: kChainId, verifyingContract: await consensus.getAddress() };
}

const pick = (name) => ({ [name]: kTypes[name] });

export function operationHash(domain, op) {
  return ethers.TypedDataEncoder.hash(domain, pick("Operation"), op);
}

export function postOpHash(domain, p) {
  return ethers.TypedDataEncoder.hash(domain, pick("PostOp"), p);
}

export function gasManagementData(maxFee) {
  return ethers.AbiCoder.defaultAbiCoder().encode(["uint256"], [maxFee]);
}

/// An Operation signed by `user` (the payer), in the contract's struct shape.
export async function signedOperation(domain, user, fields) {
  const op = {
    extensionId: fields.extensionId,
    to: fields.to ?? ethers.ZeroAddress,
    gas: fields.gas ?? 1_000_000n,
    gasManagementData: fields.gasManagementData ?? gasManagementData(fields.maxFee ?? 0n),
    data: fields.data ?? "0x",
    blockHash: fields.blockHash ?? ethers.ZeroHash,
  };
  const sig = await user.signTypedData(domain, pick("Operation"), op);
  return { ...op, sig };
}

/// A signed ProofVerificationResponse in the contract's SignedVerdict shape.
export async function signedVerdict(domain, node, { requestId, verdict = Verdict.Valid, diagnostics = "", timestamp = 1700000000n }) {
  const value = { requestId, responderNodeId: node.address, verdict, diagnostics, timestamp };
  const signature = await node.signTypedData(domain, pick("ProofVerificationResponse"), value);
  return {
    requestId,
    responderNodeId: node.address,
    verdict,
    diagnosticsHash: ethers.keccak256(ethers.toUtf8Bytes(diagnostics)),
    timestamp,
    signature,
  };
}

/// A complete batch entry: Operation by `user`, its PostOp, and VALID verdicts by `nodes`
/// (sorted by address as the contract requires). `offchainProof` leaves only the proof's hash in
/// the entry.
export async function settlement(domain, { user, nodes, extensionId, fee, maxFee = fee, gasManagementData, proof = "0x", data = "0x", opData, blockHash, offchainProof = false }) {
  const op = await signedOperation(domain, user, { extensionId, maxFee, gasManagementData, data: opData ?? data, blockHash });
  const { sig, ...opFields } = op;
  const postOp = {
    operationHash: operationHash(domain, opFields),
    extensionId,
    proof,
    data,
    processedBlockHash: blockHash ?? ethers.ZeroHash,
  };
  const requestId = postOpHash(domain, postOp);
  const sorted = [...nodes].sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  const verdicts = [];
  for (const n of sorted) verdicts.push(await signedVerdict(domain, n, { requestId }));
  return { op, postOp: offchainProof ? { ...postOp, proof: "0x" } : postOp, proofHash: ethers.keccak256(proof), fee, verdicts };
}

// ------------------------------------------------------------------------------ election rule

/// The slot-leader rule of contracts/README.md, computed off-chain (the node does the same).
export function slotSeed(chainId, consensusAddress, slot) {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "address", "uint256"], [chainId, consensusAddress, slot]));
}

export function nodeId(address) {
  return ethers.keccak256(ethers.getBytes(address));
}

export function electLeader(chainId, consensusAddress, slot, nodes) {
  const seed = BigInt(slotSeed(chainId, consensusAddress, slot));
  let best = null;
  let leader = null;
  for (const a of nodes) {
    const d = BigInt(nodeId(a)) ^ seed;
    if (best === null || d < best) {
      best = d;
      leader = a;
    }
  }
  return leader;
}

// ---------------------------------------------------------------------------------- reverts

/// Awaits `promise`, which must revert with custom error `name` of `contract` (and `args`, if
/// given); returns the decoded error arguments.
export async function expectRevert(promise, contract, name, args) {
  let err = null;
  try {
    const tx = await promise;
    if (tx && typeof tx.wait === "function") await tx.wait();
  } catch (e) {
    err = e;
  }
  if (!err) throw new Error(`expected revert ${name}, but the call succeeded`);
  const data = findRevertData(err);
  if (!data) throw new Error(`expected revert ${name}, got: ${err.shortMessage || err.message}`);
  const parsed = contract.interface.parseError(data);
  if (!parsed) throw new Error(`expected revert ${name}, got undecodable revert data ${data}`);
  if (parsed.name !== name) {
    throw new Error(`expected revert ${name}, got ${parsed.name}(${parsed.args.map(String).join(", ")})`);
  }
  if (args) {
    const got = parsed.args.map(normalize);
    const want = args.map(normalize);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      throw new Error(`${name}: expected args ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
  }
  return parsed.args;
}

function normalize(x) {
  if (typeof x === "bigint" || typeof x === "number") return x.toString();
  if (typeof x === "string") return x.toLowerCase();
  if (Array.isArray(x)) return x.map(normalize);
  return x;
}

function findRevertData(e) {
  for (let cur = e, depth = 0; cur && depth < 8; depth++) {
    if (typeof cur.data === "string" && cur.data.startsWith("0x") && cur.data.length >= 10) return cur.data;
    if (cur.data && typeof cur.data.data === "string") return cur.data.data;
    if (cur.info && cur.info.error && cur.info.error.data) {
      const d = cur.info.error.data;
      if (typeof d === "string") return d;
      if (typeof d.data === "string") return d.data;
      if (typeof d.result === "string") return d.result;
    }
    cur = cur.error || cur.cause;
  }
  return null;
}

// Known-answer vectors for the node's implementation of the EIP-712 hashes, signatures and the
// slot-leader rule (contracts/vectors.json). Everything is derived from fixed keys, and the
// ConsensusContract is the second contract deployed by a fixed key on chain 1337, so the
// vectors test can check them on-chain as well.
// Usage: node contracts/scripts/vectors.mjs [--write]   (prints, or rewrites contracts/vectors.json)
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ethers, kTypes, kChainId, Verdict, gasManagementData, slotSeed, nodeId, electLeader } from "./chain.mjs";
import { repoRoot } from "./deps.mjs";

export const vectorsFile = path.join(repoRoot, "contracts", "vectors.json");
const key = (label) => ethers.id(`efaas vectors ${label}`);
export const deployerKey = key("deployer");
export const consensusAddress = ethers.getCreateAddress({ from: new ethers.Wallet(deployerKey).address, nonce: 1 });

export async function computeVectors() {
  const domain = { name: "eFaaS", version: "1", chainId: kChainId, verifyingContract: consensusAddress };
  const user = new ethers.Wallet(key("user"));
  const nodes = [0, 1, 2, 3, 4].map((i) => new ethers.Wallet(key(`node ${i}`)));
  const operation = {
    extensionId: ethers.id("extension wasm bytes"),
    to: "0x00000000000000000000000000000000000000e5",
    gas: 1000000n,
    gasManagementData: gasManagementData(ethers.parseEther("0.01")),
    data: "0x68656c6c6f",
    blockHash: ethers.id("block 12345"),
  };
  const opHash = ethers.TypedDataEncoder.hash(domain, { Operation: kTypes.Operation }, operation);
  const postOp = {
    operationHash: opHash,
    extensionId: operation.extensionId,
    proof: "0x0102030405",
    data: "0xc0ffee",
    processedBlockHash: ethers.id("block 12346"),
  };
  const requestId = ethers.TypedDataEncoder.hash(domain, { PostOp: kTypes.PostOp }, postOp);
  const response = { requestId, responderNodeId: nodes[0].address, verdict: Verdict.Valid, diagnostics: "groth16 ok", timestamp: 1700000000n };
  const responseTypes = { ProofVerificationResponse: kTypes.ProofVerificationResponse };
  const slots = [0n, 1n, 2n, 1000n, 123456789n];
  const str = (o) => JSON.parse(JSON.stringify(o, (_, v) => (typeof v === "bigint" ? v.toString() : v)));
  return {
    description: "eFaaS EIP-712 and slot-leader known-answer vectors; see contracts/README.md",
    chainId: kChainId,
    verifyingContract: consensusAddress,
    domainSeparator: ethers.TypedDataEncoder.hashDomain(domain),
    typeHashes: Object.fromEntries(Object.keys(kTypes).map((t) => [t, ethers.id(ethers.TypedDataEncoder.from({ [t]: kTypes[t] }).encodeType(t))])),
    keys: { user: key("user"), nodes: nodes.map((_, i) => key(`node ${i}`)) },
    operation: str(operation),
    operationHash: opHash,
    operationSignature: await user.signTypedData(domain, { Operation: kTypes.Operation }, operation),
    user: user.address,
    postOp: str(postOp),
    postOpHash: requestId,
    response: str(response),
    responseHash: ethers.TypedDataEncoder.hash(domain, responseTypes, response),
    responseSignature: await nodes[0].signTypedData(domain, responseTypes, response),
    election: {
      nodes: nodes.map((n) => ({ address: n.address, nodeId: nodeId(n.address) })),
      slots: slots.map((s) => ({
        slot: s.toString(),
        seed: slotSeed(kChainId, consensusAddress, s),
        leader: electLeader(kChainId, consensusAddress, s, nodes.map((n) => n.address)),
      })),
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = JSON.stringify(await computeVectors(), null, 1) + "\n";
  if (process.argv.includes("--write")) fs.writeFileSync(vectorsFile, text);
  else process.stdout.write(text);
}

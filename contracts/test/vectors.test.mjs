// contracts/vectors.json (the node's known-answer vectors) matches both ethers and the contract.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import { ethers, startChain, kDefaultParams, artifact, kTypes } from "../scripts/chain.mjs";
import { computeVectors, vectorsFile, deployerKey, consensusAddress } from "../scripts/vectors.mjs";

let chain, consensus, file;

before(async () => {
  file = JSON.parse(fs.readFileSync(vectorsFile, "utf8"));
  chain = await startChain();
  const deployer = new ethers.Wallet(deployerKey, chain.provider);
  await chain.fund(deployer.address);
  const reg = await new ethers.ContractFactory(artifact("ExtensionRegistry").abi, artifact("ExtensionRegistry").bytecode, deployer).deploy();
  await reg.waitForDeployment();
  const p = kDefaultParams;
  const a = artifact("ConsensusContract");
  consensus = await new ethers.ContractFactory(a.abi, a.bytecode, deployer).deploy(
    await reg.getAddress(), p.minStake, p.unstakeDelay, p.slotBlocks, p.quorum, p.verifierShareBps, p.slashBps, p.reporterShareBps);
  await consensus.waitForDeployment();
});
after(async () => chain && chain.close());

test("the committed vectors are what ethers computes", async () => {
  assert.deepEqual(await computeVectors(), file);
});

test("the contract computes the committed vectors", async () => {
  assert.equal(await consensus.getAddress(), consensusAddress);
  assert.equal(await consensus.domainSeparator(), file.domainSeparator);
  assert.equal(await consensus.OPERATION_TYPEHASH(), file.typeHashes.Operation);
  assert.equal(await consensus.POSTOP_TYPEHASH(), file.typeHashes.PostOp);
  assert.equal(await consensus.VERDICT_TYPEHASH(), file.typeHashes.ProofVerificationResponse);
  assert.equal(await consensus.hashOperation({ ...file.operation, sig: file.operationSignature }), file.operationHash);
  assert.equal(await consensus.hashPostOp(file.postOp), file.postOpHash);
  const r = file.response;
  const signed = { ...r, diagnosticsHash: ethers.id(r.diagnostics), signature: file.responseSignature };
  delete signed.diagnostics;
  assert.equal(await consensus.hashVerdict(signed), file.responseHash);
  assert.equal(ethers.recoverAddress(file.operationHash, file.operationSignature), file.user);
  assert.equal(ethers.recoverAddress(file.responseHash, file.responseSignature), r.responderNodeId);
  assert.equal(ethers.verifyTypedData({ name: "eFaaS", version: "1", chainId: file.chainId, verifyingContract: file.verifyingContract }, { Operation: kTypes.Operation }, file.operation, file.operationSignature), file.user);

  for (const [i, n] of file.election.nodes.entries()) {
    assert.equal(await consensus.nodeId(n.address), n.nodeId);
    const w = new ethers.Wallet(file.keys.nodes[i], chain.provider);
    assert.equal(w.address, n.address);
    await chain.fund(w.address);
    await (await consensus.connect(w).stake({ value: kDefaultParams.minStake })).wait();
  }
  for (const s of file.election.slots) {
    assert.equal(await consensus.slotSeed(s.slot), s.seed);
    assert.equal(await consensus.leaderOf(s.slot), s.leader, `slot ${s.slot}`);
  }
});

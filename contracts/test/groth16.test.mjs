// Custom-mode Groth16 on-chain: the snarkjs-exported verifier for the shared fixture key, checked
// against snarkjs itself; settlement of a Groth16 PostOp; tampered proofs refused; slashing of a
// node that signed VALID for a proof the chain rejects.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  ethers, startChain, deploy, deployStack, Rng, testSeed, Mode, Verdict, expectRevert, settlement,
  signedVerdict, postOpHash,
} from "../scripts/chain.mjs";
import { requireTool, sharedDir } from "../scripts/deps.mjs";

const snarkjs = requireTool("snarkjs");
const coder = ethers.AbiCoder.defaultAbiCoder();
const fixture = path.join(sharedDir(), "fixtures", "groth16", "poseidon_chain40");
const Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const R = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const kGas = 3_000_000n;
let chain, rng, stack, consensus, registry, verifier, nodes, user, reporter, extensionId, universalId;
let vkJson, vk, proof, pub;

/// PostOp.proof for groth16: abi.encode(uint256[2] a, uint256[2][2] b, uint256[2] c) with each G2
/// coordinate as (c1, c0), the order of snarkjs' soliditycalldata and the EVM pairing precompile.
function encodeProof(p) {
  const a = [p.pi_a[0], p.pi_a[1]];
  const b = [[p.pi_b[0][1], p.pi_b[0][0]], [p.pi_b[1][1], p.pi_b[1][0]]];
  const c = [p.pi_c[0], p.pi_c[1]];
  return coder.encode(["uint256[2]", "uint256[2][2]", "uint256[2]"], [a, b, c]);
}

/// PostOp.data for groth16: abi.encode(uint256[] publicSignals).
const encodePublic = (signals) => coder.encode(["uint256[]"], [signals.map(BigInt)]);

// A different, still well-formed proof: -A is on the curve, so only the pairing check fails.
const negatedA = (p) => ({ ...p, pi_a: [p.pi_a[0], (Q - BigInt(p.pi_a[1])).toString(), p.pi_a[2]] });

before(async () => {
  rng = new Rng(testSeed("Groth16OnChain"));
  vkJson = fs.readFileSync(path.join(fixture, "verification_key.json"));
  vk = JSON.parse(vkJson);
  proof = JSON.parse(fs.readFileSync(path.join(fixture, "snarkjs_proof.json")));
  pub = JSON.parse(fs.readFileSync(path.join(fixture, "snarkjs_public.json")));
  chain = await startChain();
  stack = await deployStack(chain, { quorum: 2n });
  ({ consensus, registry } = stack);
  verifier = await deploy(chain.deployer, "Groth16Verifier_poseidon_chain40");
  nodes = [];
  for (let i = 0; i < 3; i++) {
    const w = rng.wallet(chain.provider);
    await chain.fund(w.address);
    await (await consensus.connect(w).stake({ value: stack.params.minStake * 2n })).wait();
    nodes.push(w);
  }
  user = rng.wallet(chain.provider);
  reporter = rng.wallet(chain.provider);
  await chain.fund(user.address);
  await chain.fund(reporter.address);
  await (await consensus.connect(user).deposit({ value: ethers.parseEther("1") })).wait();

  const wasm = rng.bytes(1000);
  extensionId = ethers.keccak256(wasm);
  await (await registry.registerExtension(extensionId, wasm, "ipfs://poseidon", {
    mode: Mode.Custom, zkSystem: "groth16", verificationKey: vkJson, verifierURI: "ipfs://vk", verifierContract: await verifier.getAddress(),
  })).wait();
  const wasm2 = rng.bytes(100);
  universalId = ethers.keccak256(wasm2);
  await (await registry.registerExtension(universalId, wasm2, "", {
    mode: Mode.Universal, zkSystem: "zkwasm-stark", verificationKey: "0x", verifierURI: "", verifierContract: ethers.ZeroAddress,
  })).wait();
});

after(async () => {
  if (chain) await chain.close();
  if (globalThis.curve_bn128) await globalThis.curve_bn128.terminate();
});

async function leader() {
  const slot = ((await chain.blockNumber()) + 1n - (await consensus.genesisBlock())) / (await consensus.slotBlocks());
  const addr = await consensus.leaderOf(slot);
  return { slot, signer: nodes.find((n) => n.address === addr) };
}

test("the proof encoding equals snarkjs' soliditycalldata", async () => {
  const calldata = JSON.parse(`[${await snarkjs.groth16.exportSolidityCallData(proof, pub)}]`);
  assert.equal(encodeProof(proof), coder.encode(["uint256[2]", "uint256[2][2]", "uint256[2]"], calldata.slice(0, 3)));
  assert.deepEqual(calldata[3].map(BigInt), pub.map(BigInt));
  // The registered key is the fixture key, byte for byte.
  assert.equal(await registry.getVerificationKey(extensionId), ethers.hexlify(vkJson));
});

test("the fixture proof verifies on-chain; tampered proofs and inputs do not (snarkjs agrees)", async () => {
  const check = (p, signals) => consensus.checkProof(extensionId, encodeProof(p), encodePublic(signals));
  assert.equal(await snarkjs.groth16.verify(vk, pub, proof), true);
  assert.equal(await check(proof, pub), true);
  const a = [proof.pi_a[0], proof.pi_a[1]];
  const b = [[proof.pi_b[0][1], proof.pi_b[0][0]], [proof.pi_b[1][1], proof.pi_b[1][0]]];
  const c = [proof.pi_c[0], proof.pi_c[1]];
  assert.equal(await verifier.verifyProof(a, b, c, pub), true, "direct call to the exported verifier");

  const cases = [
    ["public signal + 1", proof, [(BigInt(pub[0]) + 1n).toString()]],
    ["-A", negatedA(proof), pub],
    ["A and C swapped", { ...proof, pi_a: proof.pi_c, pi_c: proof.pi_a }, pub],
  ];
  for (const [what, p, s] of cases) {
    assert.equal(await snarkjs.groth16.verify(vk, s, p, { info() {}, error() {} }), false, `snarkjs: ${what}`);
    assert.equal(await check(p, s), false, `chain: ${what}`);
  }
  // Not snarkjs' business, but the chain must reject: G2 coordinates in the wrong order, a point
  // off the curve, a public signal outside the field, and malformed encodings.
  const unswapped = coder.encode(["uint256[2]", "uint256[2][2]", "uint256[2]"], [a, [proof.pi_b[0].slice(0, 2), proof.pi_b[1].slice(0, 2)], c]);
  assert.equal(await consensus.checkProof(extensionId, unswapped, encodePublic(pub)), false, "G2 order");
  const offCurve = { ...proof, pi_a: [proof.pi_a[0], (BigInt(proof.pi_a[1]) + 1n).toString(), "1"] };
  assert.equal(await check(offCurve, pub), false, "off the curve");
  assert.equal(await check(proof, [(BigInt(pub[0]) + R).toString()]), false, "signal + r");
  const good = encodeProof(proof);
  assert.equal(await consensus.checkProof(extensionId, ethers.dataSlice(good, 0, 255), encodePublic(pub)), false, "short proof");
  assert.equal(await consensus.checkProof(extensionId, good, encodePublic([...pub, "1"])), false, "two signals for a one-signal key");
  assert.equal(await consensus.checkProof(extensionId, good, encodePublic([])), false, "no signals");
  assert.equal(await consensus.checkProof(extensionId, good, ethers.concat([encodePublic(pub), "0x00"])), false, "trailing byte");
  assert.equal(await consensus.checkProof(extensionId, good, coder.encode(["uint256", "uint256", "uint256"], [64, 1, pub[0]])), false, "bad offset");
  assert.equal(await consensus.checkProof(universalId, good, encodePublic(pub)), false, "Universal mode");
});

test("a Groth16 PostOp with a valid proof settles", async () => {
  const e = await settlement(stack.domain, {
    user, nodes: nodes.slice(0, 2), extensionId, fee: 1000n, blockHash: rng.bytes32(), proof: encodeProof(proof), data: encodePublic(pub), opData: "0x",
  });
  const { slot, signer } = await leader();
  // An explicit gas limit skips ganache's gas estimation, which re-runs the slow (JS) pairing.
  const receipt = await (await consensus.connect(signer).submitBatch(slot, [e], { gasLimit: kGas })).wait();
  assert.ok(receipt.gasUsed > 150_000n, "the pairing check ran");
  assert.equal(await consensus.settled(e.postOp.operationHash), true);
});

test("a Groth16 proof cannot be left off-chain", async () => {
  const e = await settlement(stack.domain, {
    user, nodes: nodes.slice(0, 2), extensionId, fee: 1000n, blockHash: rng.bytes32(), proof: encodeProof(proof), data: encodePublic(pub), offchainProof: true,
  });
  const { slot, signer } = await leader();
  await expectRevert(consensus.connect(signer).submitBatch(slot, [e]), consensus, "ProofRejected", [0n]);
});

test("a Groth16 PostOp with a rejected proof is refused despite a quorum of VALID", async () => {
  for (const [p, s] of [[negatedA(proof), pub], [proof, [(BigInt(pub[0]) + 1n).toString()]]]) {
    const e = await settlement(stack.domain, {
      user, nodes: nodes.slice(0, 2), extensionId, fee: 1000n, blockHash: rng.bytes32(), proof: encodeProof(p), data: encodePublic(s),
    });
    const { slot, signer } = await leader();
    await expectRevert(consensus.connect(signer).submitBatch(slot, [e]), consensus, "ProofRejected", [0n]);
  }
});

test("a node that signed VALID for a proof the chain rejects is slashed; the reporter is paid", async () => {
  const bad = {
    operationHash: rng.bytes32(), extensionId, proof: encodeProof(negatedA(proof)), data: encodePublic(pub), processedBlockHash: rng.bytes32(),
  };
  const requestId = postOpHash(stack.domain, bad);
  const culprit = nodes[2];
  const v = await signedVerdict(stack.domain, culprit, { requestId });

  // Refusals first: not VALID, wrong request, forged signature, valid proof, Universal Extension.
  const inv = await signedVerdict(stack.domain, culprit, { requestId, verdict: Verdict.Invalid });
  await expectRevert(consensus.connect(reporter).slashInvalidProofVerdict(bad, inv), consensus, "NotValidVerdict");
  const other = await signedVerdict(stack.domain, culprit, { requestId: rng.bytes32() });
  await expectRevert(consensus.connect(reporter).slashInvalidProofVerdict(bad, other), consensus, "WrongRequestId", [requestId, other.requestId]);
  const forged = await signedVerdict(stack.domain, nodes[0], { requestId });
  await expectRevert(consensus.connect(reporter).slashInvalidProofVerdict(bad, { ...forged, responderNodeId: culprit.address }), consensus, "BadSignature");
  const goodPostOp = { ...bad, proof: encodeProof(proof) };
  const vGood = await signedVerdict(stack.domain, culprit, { requestId: postOpHash(stack.domain, goodPostOp) });
  await expectRevert(consensus.connect(reporter).slashInvalidProofVerdict(goodPostOp, vGood), consensus, "ProofIsValid");
  const uni = { ...bad, extensionId: universalId };
  const vUni = await signedVerdict(stack.domain, culprit, { requestId: postOpHash(stack.domain, uni) });
  await expectRevert(consensus.connect(reporter).slashInvalidProofVerdict(uni, vUni), consensus, "NotOnChainVerifiable", [universalId]);

  const stakeBefore = (await consensus.nodeInfo(culprit.address)).stake;
  const burnedBefore = await consensus.totalBurned();
  const receipt = await (await consensus.connect(reporter).slashInvalidProofVerdict(bad, v, { gasLimit: kGas })).wait();
  const slashed = (stakeBefore * stack.params.slashBps) / 10000n;
  const reward = (slashed * stack.params.reporterShareBps) / 10000n;
  assert.equal((await consensus.nodeInfo(culprit.address)).stake, stakeBefore - slashed);
  assert.equal(await consensus.rewards(reporter.address), reward);
  assert.equal((await consensus.totalBurned()) - burnedBefore, slashed - reward);
  const ev = receipt.logs.map((l) => consensus.interface.parseLog(l)).find((e) => e && e.name === "Slashed");
  assert.equal(ev.args.node, culprit.address);
  assert.equal(ev.args.reporter, reporter.address);
  assert.equal(ev.args.amount, slashed);
  // Stake was 2x the minimum, half is gone: still exactly at the minimum, still active.
  assert.equal(await consensus.isActive(culprit.address), true);
  await expectRevert(consensus.connect(reporter).slashInvalidProofVerdict(bad, v), consensus, "EvidenceAlreadyUsed");
  const before = await chain.provider.getBalance(reporter.address);
  const r = await (await consensus.connect(reporter).claimRewards()).wait();
  assert.equal((await chain.provider.getBalance(reporter.address)) - before + r.fee, reward);
});

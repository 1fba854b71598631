// ConsensusContract: EIP-712 hashing against ethers, staking, leader election against the
// off-chain rule, deposits, batch settlement and every refusal of a batch.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  ethers, startChain, deploy, deployStack, Rng, testSeed, Mode, Verdict, kTypes, kChainId,
  expectRevert, settlement, signedOperation, signedVerdict, operationHash, postOpHash, electLeader,
  slotSeed, nodeId,
} from "../scripts/chain.mjs";

let chain, rng, stack, consensus, registry, nodes, user, sponsor, outsider, extensionId;
const byAddress = new Map();
const ETH = ethers.parseEther("1");
const universal = { mode: Mode.Universal, zkSystem: "zkwasm-stark", verificationKey: "0x", verifierURI: "", verifierContract: ethers.ZeroAddress };

async function wallet() {
  const w = rng.wallet(chain.provider);
  await chain.fund(w.address);
  byAddress.set(w.address, w);
  return w;
}

async function registerExtension(size = 256) {
  const wasm = rng.bytes(size);
  const id = ethers.keccak256(wasm);
  await (await registry.registerExtension(id, wasm, "", universal)).wait();
  return id;
}

async function slotForNextBlock(c = consensus) {
  const genesis = await c.genesisBlock();
  return ((await chain.blockNumber()) + 1n - genesis) / (await c.slotBlocks());
}

async function currentLeader(c = consensus) {
  const slot = await slotForNextBlock(c);
  return { slot, leader: byAddress.get(await c.leaderOf(slot)) };
}

async function entry(fields = {}) {
  return settlement(stack.domain, {
    user, nodes: nodes.slice(0, 3), extensionId, fee: ETH / 100n, blockHash: rng.bytes32(), data: "0x1234", ...fields,
  });
}

async function submit(batch, { from, slot } = {}) {
  const l = await currentLeader();
  const signer = from ?? l.leader;
  return consensus.connect(signer).submitBatch(slot ?? l.slot, batch);
}

before(async () => {
  rng = new Rng(testSeed("ConsensusContract"));
  chain = await startChain();
  stack = await deployStack(chain);
  ({ consensus, registry } = stack);
  nodes = [];
  for (let i = 0; i < 5; i++) nodes.push(await wallet());
  nodes.sort((a, b) => (BigInt(a.address) < BigInt(b.address) ? -1 : 1));
  for (const n of nodes) await (await consensus.connect(n).stake({ value: stack.params.minStake })).wait();
  user = await wallet();
  sponsor = await wallet();
  outsider = await wallet();
  await (await consensus.connect(user).deposit({ value: ETH })).wait();
  extensionId = await registerExtension();
});
after(async () => chain && chain.close());

test("EIP-712 domain, type hashes and struct hashes match ethers", async () => {
  const d = stack.domain;
  assert.equal(await consensus.domainSeparator(), ethers.TypedDataEncoder.hashDomain(d));
  for (const [name, constant] of [["Operation", "OPERATION_TYPEHASH"], ["PostOp", "POSTOP_TYPEHASH"], ["ProofVerificationResponse", "VERDICT_TYPEHASH"]]) {
    const encoded = ethers.TypedDataEncoder.from({ [name]: kTypes[name] }).encodeType(name);
    assert.equal(await consensus[constant](), ethers.id(encoded), name);
  }
  for (let i = 0; i < 5; i++) {
    const op = await signedOperation(d, user, {
      extensionId: rng.bytes32(), to: ethers.hexlify(rng.bytes(20)), gas: BigInt(rng.below(1e9)),
      gasManagementData: ethers.hexlify(rng.bytes(rng.below(100))), data: ethers.hexlify(rng.bytes(rng.below(300))), blockHash: rng.bytes32(),
    });
    const { sig, ...fields } = op;
    assert.equal(await consensus.hashOperation(op), operationHash(d, fields));
    assert.equal(ethers.verifyTypedData(d, { Operation: kTypes.Operation }, fields, sig), user.address);
    const p = { operationHash: rng.bytes32(), extensionId: rng.bytes32(), proof: ethers.hexlify(rng.bytes(rng.below(300))), data: ethers.hexlify(rng.bytes(rng.below(300))), processedBlockHash: rng.bytes32() };
    assert.equal(await consensus.hashPostOp(p), postOpHash(d, p));
    const v = await signedVerdict(d, nodes[0], { requestId: rng.bytes32(), verdict: 1 + rng.below(3), diagnostics: `diag ${i} ✓`, timestamp: BigInt(rng.below(2 ** 40)) });
    const value = { requestId: v.requestId, responderNodeId: v.responderNodeId, verdict: v.verdict, diagnostics: `diag ${i} ✓`, timestamp: v.timestamp };
    assert.equal(await consensus.hashVerdict(v), ethers.TypedDataEncoder.hash(d, { ProofVerificationResponse: kTypes.ProofVerificationResponse }, value));
  }
});

test("leader election matches the off-chain rule for random node sets and slots", async () => {
  const addr = await consensus.getAddress();
  const active = await consensus.activeNodes();
  assert.deepEqual([...active].sort(), nodes.map((n) => n.address).sort());
  for (const n of nodes) assert.equal(await consensus.nodeId(n.address), nodeId(n.address));
  const seen = new Set();
  for (let k = 0; k < 40; k++) {
    const slot = k < 20 ? BigInt(k) : BigInt(ethers.hexlify(rng.bytes(8)));
    assert.equal(await consensus.slotSeed(slot), slotSeed(kChainId, addr, slot));
    const want = electLeader(kChainId, addr, slot, active);
    assert.equal(await consensus.leaderOf(slot), want, `slot ${slot}`);
    seen.add(want);
  }
  assert.ok(seen.size >= 3, `40 slots elected only ${seen.size} distinct leaders of 5`);
});

test("staking: minimum, active set, unstake delay and withdrawal", async () => {
  const w = await wallet();
  const min = stack.params.minStake;
  await expectRevert(consensus.connect(w).stake({ value: 0 }), consensus, "ZeroAmount");
  await expectRevert(consensus.connect(w).stake({ value: min - 1n }), consensus, "StakeBelowMinimum", [min - 1n, min]);
  await (await consensus.connect(w).stake({ value: min + ETH })).wait();
  assert.equal(await consensus.isActive(w.address), true);
  assert.equal(await consensus.activeNodeCount(), 6n);
  await expectRevert(consensus.connect(w).requestUnstake(min * 2n), consensus, "InsufficientStake", [min * 2n, min + ETH]);
  await (await consensus.connect(w).requestUnstake(ETH)).wait();
  assert.equal(await consensus.isActive(w.address), true, "stake still at the minimum");
  await (await consensus.connect(w).requestUnstake(1n)).wait();
  assert.equal(await consensus.isActive(w.address), false);
  assert.ok(!(await consensus.activeNodes()).includes(w.address));
  const info = await consensus.nodeInfo(w.address);
  assert.equal(info.stake, min - 1n);
  assert.equal(info.pendingUnstake, ETH + 1n);

  const unlock = info.unlockTime;
  const now = BigInt((await chain.provider.getBlock("latest")).timestamp);
  assert.ok(unlock >= now + stack.params.unstakeDelay - 2n);
  const args = await expectRevert(consensus.connect(w).withdraw(), consensus, "WithdrawalLocked");
  assert.equal(args[0], unlock);
  await chain.increaseTime(Number(stack.params.unstakeDelay) - 60);
  await expectRevert(consensus.connect(w).withdraw(), consensus, "WithdrawalLocked");
  await chain.increaseTime(120);
  const before = await chain.provider.getBalance(w.address);
  const receipt = await (await consensus.connect(w).withdraw()).wait();
  const after = await chain.provider.getBalance(w.address);
  assert.equal(after - before + receipt.fee, ETH + 1n);
  await expectRevert(consensus.connect(w).withdraw(), consensus, "NothingToWithdraw");
  // Topping back up to the minimum reactivates.
  await (await consensus.connect(w).stake({ value: 1n })).wait();
  assert.equal(await consensus.isActive(w.address), true);
  await (await consensus.connect(w).requestUnstake(min)).wait();
  assert.equal(await consensus.activeNodeCount(), 5n);
});

test("deposits: by the user, by a sponsor, withdrawals", async () => {
  const u = await wallet();
  await expectRevert(consensus.connect(u).deposit({ value: 0 }), consensus, "ZeroAmount");
  await (await consensus.connect(u).deposit({ value: 5n * ETH })).wait();
  await (await consensus.connect(sponsor).depositFor(u.address, { value: 2n * ETH })).wait();
  assert.equal(await consensus.deposits(u.address), 7n * ETH);
  assert.equal(await consensus.deposits(sponsor.address), 0n);
  await expectRevert(consensus.connect(sponsor).withdrawDeposit(ETH), consensus, "InsufficientBalance", [ETH, 0n]);
  await expectRevert(consensus.connect(u).withdrawDeposit(8n * ETH), consensus, "InsufficientBalance", [8n * ETH, 7n * ETH]);
  const before = await chain.provider.getBalance(u.address);
  const receipt = await (await consensus.connect(u).withdrawDeposit(3n * ETH)).wait();
  assert.equal((await chain.provider.getBalance(u.address)) - before + receipt.fee, 3n * ETH);
  assert.equal(await consensus.deposits(u.address), 4n * ETH);
});

test("the leader settles a batch: fees from deposits, rewards to leader and verifiers", async () => {
  const fee = ETH / 100n;
  const e1 = await entry({ fee, maxFee: fee * 2n });
  const e2 = await entry({ fee: fee * 3n, nodes: nodes.slice(1, 5) });
  const { slot, leader } = await currentLeader();
  const depositBefore = await consensus.deposits(user.address);
  const rewardsBefore = await Promise.all(nodes.map((n) => consensus.rewards(n.address)));
  const receipt = await (await consensus.connect(leader).submitBatch(slot, [e1, e2])).wait();

  assert.equal(await consensus.deposits(user.address), depositBefore - fee * 4n);
  assert.equal(await consensus.settled(e1.postOp.operationHash), true);
  assert.equal(await consensus.settled(e2.postOp.operationHash), true);
  // Verifier share 30%, split equally among the counted verdicts; the leader gets the rest.
  const expected = nodes.map(() => 0n);
  const s1 = (fee * 3000n) / 10000n / 3n;
  const s2 = (fee * 3n * 3000n) / 10000n / 4n;
  for (let i = 0; i < 3; i++) expected[nodes.indexOf(byAddress.get(e1.verdicts[i].responderNodeId))] += s1;
  for (let i = 0; i < 4; i++) expected[nodes.indexOf(byAddress.get(e2.verdicts[i].responderNodeId))] += s2;
  expected[nodes.indexOf(leader)] += fee * 4n - 3n * s1 - 4n * s2;
  for (let i = 0; i < nodes.length; i++) {
    assert.equal((await consensus.rewards(nodes[i].address)) - rewardsBefore[i], expected[i], `node ${i}`);
  }
  const events = receipt.logs.map((l) => consensus.interface.parseLog(l)).filter(Boolean);
  const settledEvents = events.filter((e) => e.name === "PostOpSettled");
  assert.equal(settledEvents.length, 2);
  assert.equal(settledEvents[0].args.operationHash, e1.postOp.operationHash);
  assert.equal(settledEvents[0].args.postOpHash, postOpHash(stack.domain, e1.postOp));
  assert.equal(settledEvents[0].args.payer, user.address);
  const batchEvent = events.find((e) => e.name === "BatchSettled");
  assert.deepEqual([...batchEvent.args], [slot, leader.address, 2n, fee * 4n]);

  // Claiming pays out exactly the reward once.
  const owed = await consensus.rewards(leader.address);
  const before = await chain.provider.getBalance(leader.address);
  const r = await (await consensus.connect(leader).claimRewards()).wait();
  assert.equal((await chain.provider.getBalance(leader.address)) - before + r.fee, owed);
  assert.equal(await consensus.rewards(leader.address), 0n);
  await expectRevert(consensus.connect(leader).claimRewards(), consensus, "NothingToWithdraw");
});

test("a sponsor's deposit pays for the user's operations", async () => {
  const u = await wallet();
  await (await consensus.connect(sponsor).depositFor(u.address, { value: ETH })).wait();
  const e = await entry({ user: u, fee: ETH / 10n });
  await (await submit([e])).wait();
  assert.equal(await consensus.deposits(u.address), ETH - ETH / 10n);
});

test("refuses a batch from anyone but the slot's leader, or for another slot", async () => {
  const e = await entry();
  const { slot, leader } = await currentLeader();
  for (const w of [...nodes.filter((n) => n !== leader), outsider]) {
    await expectRevert(consensus.connect(w).submitBatch(slot, [e]), consensus, "NotLeader", [slot, leader.address, w.address]);
  }
  await expectRevert(consensus.connect(leader).submitBatch(slot + 1n, [e]), consensus, "WrongSlot", [slot + 1n, slot]);
  await expectRevert(consensus.connect(leader).submitBatch(slot, []), consensus, "EmptyBatch");
  assert.equal(await consensus.settled(e.postOp.operationHash), false);
});

test("refuses a replayed batch or operation", async () => {
  const e1 = await entry();
  const e2 = await entry();
  await (await submit([e1, e2])).wait();
  await expectRevert(submit([e1, e2]), consensus, "AlreadySettled", [0n, e1.postOp.operationHash]);
  const e3 = await entry();
  await expectRevert(submit([e3, e2]), consensus, "AlreadySettled", [1n, e2.postOp.operationHash]);
  // The same operation twice in one batch.
  await expectRevert(submit([e3, e3]), consensus, "AlreadySettled", [1n, e3.postOp.operationHash]);
});

test("refuses missing quorum, bad, malleated, duplicate and unstaked signatures", async () => {
  const e = await entry();
  await expectRevert(submit([{ ...e, verdicts: e.verdicts.slice(0, 2) }]), consensus, "QuorumNotMet", [0n, 2n, 3n]);

  // A verdict signed by another key than the one it names.
  const forged = await signedVerdict(stack.domain, nodes[4], { requestId: e.verdicts[0].requestId });
  const bad = [...e.verdicts];
  bad[1] = { ...forged, responderNodeId: e.verdicts[1].responderNodeId };
  await expectRevert(submit([{ ...e, verdicts: bad }]), consensus, "BadVerdictSignature", [0n, 1n]);

  // One flipped bit in a signature.
  const flipped = ethers.getBytes(e.verdicts[2].signature);
  flipped[10] ^= 0x01;
  await expectRevert(submit([{ ...e, verdicts: [e.verdicts[0], e.verdicts[1], { ...e.verdicts[2], signature: ethers.hexlify(flipped) }] }]), consensus, "BadVerdictSignature", [0n, 2n]);

  // The malleated twin (n - s, other v) recovers the same key with ecrecover but is refused.
  const sig = ethers.Signature.from(e.verdicts[0].signature);
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const twin = ethers.concat([sig.r, ethers.toBeHex(n - BigInt(sig.s), 32), sig.v === 27 ? "0x1c" : "0x1b"]);
  // The EVM's own ecrecover (precompile 1) accepts the twin.
  const digest = await consensus.hashVerdict(e.verdicts[0]);
  const raw = await chain.provider.call({
    to: "0x0000000000000000000000000000000000000001",
    data: ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint8", "bytes32", "bytes32"], [digest, sig.v === 27 ? 28 : 27, sig.r, ethers.toBeHex(n - BigInt(sig.s), 32)]),
  });
  assert.equal(ethers.getAddress(ethers.dataSlice(raw, 12)), e.verdicts[0].responderNodeId);
  await expectRevert(submit([{ ...e, verdicts: [{ ...e.verdicts[0], signature: twin }, e.verdicts[1], e.verdicts[2]] }]), consensus, "BadVerdictSignature", [0n, 0n]);

  // The same node twice, and out of order.
  await expectRevert(submit([{ ...e, verdicts: [e.verdicts[0], e.verdicts[1], e.verdicts[1]] }]), consensus, "SignersNotStrictlyIncreasing", [0n, 2n]);
  await expectRevert(submit([{ ...e, verdicts: [e.verdicts[1], e.verdicts[0], e.verdicts[2]] }]), consensus, "SignersNotStrictlyIncreasing", [0n, 1n]);

  // A correctly signed verdict from a node that is not staked.
  const loner = await wallet();
  const withOutsider = await entry({ nodes: [nodes[0], nodes[1], loner] });
  const k = withOutsider.verdicts.findIndex((v) => v.responderNodeId === loner.address);
  await expectRevert(submit([withOutsider]), consensus, "NotStakedNode", [0n, BigInt(k), loner.address]);
  assert.equal(await consensus.settled(e.postOp.operationHash), false);
});

test("refuses verdicts that are not VALID for this PostOp", async () => {
  const e = await entry();
  const invalid = await signedVerdict(stack.domain, byAddress.get(e.verdicts[1].responderNodeId), { requestId: e.verdicts[1].requestId, verdict: Verdict.Invalid });
  await expectRevert(submit([{ ...e, verdicts: [e.verdicts[0], invalid, e.verdicts[2]] }]), consensus, "VerdictNotValidForPostOp", [0n, 1n]);
  const errorVerdict = await signedVerdict(stack.domain, byAddress.get(e.verdicts[2].responderNodeId), { requestId: e.verdicts[2].requestId, verdict: Verdict.Error });
  await expectRevert(submit([{ ...e, verdicts: [e.verdicts[0], e.verdicts[1], errorVerdict] }]), consensus, "VerdictNotValidForPostOp", [0n, 2n]);
  // VALID verdicts for a different PostOp (another result for the same operation).
  const other = await entry();
  const swapped = { ...e, postOp: { ...e.postOp, data: "0xdead" } };
  await expectRevert(submit([swapped]), consensus, "VerdictNotValidForPostOp", [0n, 0n]);
  await expectRevert(submit([{ ...e, verdicts: other.verdicts }]), consensus, "VerdictNotValidForPostOp", [0n, 0n]);
});

test("refuses fees above the signed maximum or the deposit, and bad operation signatures", async () => {
  const e = await entry({ fee: 5n, maxFee: 4n });
  await expectRevert(submit([e]), consensus, "FeeAboveMax", [0n, 5n, 4n]);
  const poor = await wallet();
  await (await consensus.connect(poor).deposit({ value: 100n })).wait();
  const e2 = await entry({ user: poor, fee: 101n });
  await expectRevert(submit([e2]), consensus, "InsufficientDeposit", [0n, poor.address, 101n, 100n]);
  // Raising the fee in the batch above what the user signed.
  const e3 = await entry({ fee: 10n, maxFee: 10n });
  await expectRevert(submit([{ ...e3, fee: 11n }]), consensus, "FeeAboveMax", [0n, 11n, 10n]);
  // The user's signature is over the operation: a modified operation no longer matches the PostOp,
  // and a garbled signature recovers nobody.
  const e4 = await entry();
  const changed = { ...e4, op: { ...e4.op, gas: e4.op.gas + 1n } };
  await expectRevert(submit([changed]), consensus, "OperationHashMismatch");
  await expectRevert(submit([{ ...e4, op: { ...e4.op, sig: "0x1234" } }]), consensus, "BadOperationSignature", [0n]);
  const short = await entry({ gasManagementData: "0x01" });
  await expectRevert(submit([short]), consensus, "BadGasManagementData", [0n]);
});

test("refuses unknown, deprecated and mismatched Extensions", async () => {
  const unknown = rng.bytes32();
  await expectRevert(submit([await entry({ extensionId: unknown })]), consensus, "UnknownExtension", [0n, unknown]);
  const old = await registerExtension();
  const e = await entry({ extensionId: old });
  await (await registry.deprecate(old, extensionId)).wait();
  await expectRevert(submit([e]), consensus, "ExtensionIsDeprecated", [0n, old]);
  const e2 = await entry();
  await expectRevert(submit([{ ...e2, postOp: { ...e2.postOp, extensionId: old } }]), consensus, "ExtensionMismatch", [0n, extensionId, old]);
});

test("leadership moves with the slot; a late batch is refused", async () => {
  const s = await deployStack(chain, { slotBlocks: 3n, quorum: 1n });
  for (const n of nodes) await (await s.consensus.connect(n).stake({ value: s.params.minStake })).wait();
  await (await s.registry.registerExtension(ethers.keccak256("0x0061736d"), "0x0061736d", "", universal)).wait();
  const ext = ethers.keccak256("0x0061736d");
  const leaders = new Set();
  for (let round = 0; round < 6; round++) {
    const { slot, leader } = await currentLeader(s.consensus);
    leaders.add(leader.address);
    const e = await settlement(s.domain, { user, nodes: [nodes[round % 5]], extensionId: ext, fee: 0n, blockHash: rng.bytes32() });
    await (await s.consensus.connect(leader).submitBatch(slot, [e])).wait();
    await chain.mine(3);
    const e2 = await settlement(s.domain, { user, nodes: [nodes[0]], extensionId: ext, fee: 0n, blockHash: rng.bytes32() });
    const next = await slotForNextBlock(s.consensus);
    await expectRevert(s.consensus.connect(leader).submitBatch(slot, [e2]), s.consensus, "WrongSlot", [slot, next]);
  }
  assert.ok(leaders.size >= 2, "six slots, one leader");
});

test("a proof the chain does not check may stay off-chain, bound by its hash", async () => {
  const proof = ethers.hexlify(rng.bytes(4096));
  const e = await entry({ proof, offchainProof: true });
  assert.equal(e.postOp.proof, "0x");
  // A different proof hash breaks the verdicts' request id.
  await expectRevert(submit([{ ...e, proofHash: ethers.keccak256("0x01") }]), consensus, "VerdictNotValidForPostOp", [0n, 0n]);
  // With the proof inline, proofHash is ignored.
  const inline = await entry({ proof });
  await (await submit([{ ...inline, proofHash: ethers.ZeroHash }, e])).wait();
  assert.equal(await consensus.settled(e.postOp.operationHash), true);
  assert.equal(await consensus.settled(inline.postOp.operationHash), true);
});

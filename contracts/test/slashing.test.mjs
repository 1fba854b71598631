// Slashing for conflicting verdicts: amounts, reporter reward, pending stake, deactivation and
// every refusal of non-evidence.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ethers, startChain, deployStack, Rng, testSeed, Verdict, expectRevert, signedVerdict } from "../scripts/chain.mjs";

let chain, rng, stack, consensus, reporter;

async function stakedNode(amount) {
  const w = rng.wallet(chain.provider);
  await chain.fund(w.address);
  await (await consensus.connect(w).stake({ value: amount ?? stack.params.minStake })).wait();
  return w;
}

async function conflicting(node, requestId = rng.bytes32()) {
  const a = await signedVerdict(stack.domain, node, { requestId, verdict: Verdict.Valid, diagnostics: "ok" });
  const b = await signedVerdict(stack.domain, node, { requestId, verdict: Verdict.Invalid, diagnostics: "pairing failed", timestamp: 1700000123n });
  return [a, b];
}

before(async () => {
  rng = new Rng(testSeed("Slashing"));
  chain = await startChain();
  stack = await deployStack(chain);
  consensus = stack.consensus;
  reporter = rng.wallet(chain.provider);
  await chain.fund(reporter.address);
});
after(async () => chain && chain.close());

test("VALID and INVALID for the same request: half the stake is slashed, a fifth of that to the reporter", async () => {
  const min = stack.params.minStake;
  const node = await stakedNode(min);
  const [a, b] = await conflicting(node);
  const receipt = await (await consensus.connect(reporter).slashConflictingVerdicts(b, a)).wait();
  const slashed = min / 2n;
  assert.equal((await consensus.nodeInfo(node.address)).stake, min - slashed);
  assert.equal(await consensus.rewards(reporter.address), slashed / 5n);
  assert.equal(await consensus.totalBurned(), slashed - slashed / 5n);
  assert.equal(await consensus.isActive(node.address), false, "below the minimum after the slash");
  const names = receipt.logs.map((l) => consensus.interface.parseLog(l).name);
  assert.deepEqual(names, ["Slashed", "NodeDeactivated"]);
  // The same evidence again, in either order.
  await expectRevert(consensus.connect(reporter).slashConflictingVerdicts(a, b), consensus, "EvidenceAlreadyUsed");
  // New evidence for another request slashes again.
  const [c, d] = await conflicting(node);
  await (await consensus.connect(reporter).slashConflictingVerdicts(c, d)).wait();
  assert.equal((await consensus.nodeInfo(node.address)).stake, (min - slashed) / 2n);
});

test("stake waiting to be withdrawn is slashed too", async () => {
  const min = stack.params.minStake;
  const node = await stakedNode(min * 2n);
  await (await consensus.connect(node).requestUnstake(min * 2n)).wait();
  const [a, b] = await conflicting(node);
  await (await consensus.connect(reporter).slashConflictingVerdicts(a, b)).wait();
  const info = await consensus.nodeInfo(node.address);
  assert.equal(info.pendingUnstake, min);
  assert.equal(info.stake, 0n);
  await chain.increaseTime(Number(stack.params.unstakeDelay) + 1);
  const before = await chain.provider.getBalance(node.address);
  const r = await (await consensus.connect(node).withdraw()).wait();
  assert.equal((await chain.provider.getBalance(node.address)) - before + r.fee, min);
  // Nothing left: further evidence has nothing to take.
  const [c, d] = await conflicting(node);
  await expectRevert(consensus.connect(reporter).slashConflictingVerdicts(c, d), consensus, "NothingToSlash", [node.address]);
});

test("refuses what is not evidence of a conflict", async () => {
  const node = await stakedNode();
  const other = await stakedNode();
  const requestId = rng.bytes32();
  const valid = await signedVerdict(stack.domain, node, { requestId, verdict: Verdict.Valid });
  const valid2 = await signedVerdict(stack.domain, node, { requestId, verdict: Verdict.Valid, diagnostics: "again", timestamp: 5n });
  const error = await signedVerdict(stack.domain, node, { requestId, verdict: Verdict.Error });
  const invalid = await signedVerdict(stack.domain, node, { requestId, verdict: Verdict.Invalid });
  const invalidOtherRequest = await signedVerdict(stack.domain, node, { requestId: rng.bytes32(), verdict: Verdict.Invalid });
  const invalidOtherNode = await signedVerdict(stack.domain, other, { requestId, verdict: Verdict.Invalid });
  const slash = (x, y) => consensus.connect(reporter).slashConflictingVerdicts(x, y);
  await expectRevert(slash(valid, valid2), consensus, "NotConflicting");
  await expectRevert(slash(valid, error), consensus, "NotConflicting");
  await expectRevert(slash(error, invalid), consensus, "NotConflicting");
  await expectRevert(slash(valid, invalidOtherRequest), consensus, "NotConflicting");
  await expectRevert(slash(valid, invalidOtherNode), consensus, "NotConflicting");
  // Claimed by `node` but signed by `other`: a forgery, not evidence.
  await expectRevert(slash(valid, { ...invalidOtherNode, responderNodeId: node.address }), consensus, "BadSignature");
  // A verdict altered after signing.
  await expectRevert(slash(valid, { ...invalid, timestamp: invalid.timestamp + 1n }), consensus, "BadSignature");
  await expectRevert(slash({ ...valid, diagnosticsHash: ethers.id("edited") }, invalid), consensus, "BadSignature");
  assert.equal((await consensus.nodeInfo(node.address)).stake, stack.params.minStake);
  // Whereas the genuine pair is slashable.
  await (await slash(invalid, valid)).wait();
  assert.equal((await consensus.nodeInfo(node.address)).stake, stack.params.minStake / 2n);
});

test("a slashed leader loses the slot", async () => {
  const s = await deployStack(chain, { quorum: 1n });
  const nodes = [];
  for (let i = 0; i < 4; i++) {
    const w = rng.wallet(chain.provider);
    await chain.fund(w.address);
    await (await s.consensus.connect(w).stake({ value: s.params.minStake })).wait();
    nodes.push(w);
  }
  const slot = await s.consensus.currentSlot();
  const leader = await s.consensus.leaderOf(slot);
  const culprit = nodes.find((n) => n.address === leader);
  const requestId = rng.bytes32();
  const a = await signedVerdict(s.domain, culprit, { requestId, verdict: Verdict.Valid });
  const b = await signedVerdict(s.domain, culprit, { requestId, verdict: Verdict.Invalid });
  await (await s.consensus.connect(reporter).slashConflictingVerdicts(a, b)).wait();
  assert.equal(await s.consensus.activeNodeCount(), 3n);
  assert.notEqual(await s.consensus.leaderOf(slot), leader);
});

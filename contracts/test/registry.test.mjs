// ExtensionRegistry: registration, reads, updates, deprecation and every refusal.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { ethers, startChain, deploy, Rng, testSeed, Mode, expectRevert } from "../scripts/chain.mjs";

let chain, registry, dev, other, rng, verifier;

// A small but valid WebAssembly module header followed by random custom-section payload, so
// every test registers distinct bytes.
function wasmBytes(size) {
  const body = rng.bytes(size);
  body.set([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], 0);
  return body;
}

const universal = () => ({ mode: Mode.Universal, zkSystem: "zkwasm-stark", verificationKey: "0x", verifierURI: "ipfs://stark-vk", verifierContract: ethers.ZeroAddress });

before(async () => {
  rng = new Rng(testSeed("ExtensionRegistry"));
  chain = await startChain();
  dev = rng.wallet(chain.provider);
  other = rng.wallet(chain.provider);
  await chain.fund(dev.address);
  await chain.fund(other.address);
  registry = (await deploy(chain.deployer, "ExtensionRegistry")).connect(dev);
  verifier = await deploy(chain.deployer, "Groth16Verifier_poseidon_chain40");
});
after(async () => chain && chain.close());

test("registers an Extension and reads it back by ID", async () => {
  const wasm = wasmBytes(3000);
  const id = ethers.keccak256(wasm);
  const tx = await registry.registerExtension(id, wasm, "ipfs://meta", universal());
  const receipt = await tx.wait();
  const block = await chain.provider.getBlock(receipt.blockNumber);

  const ev = receipt.logs.map((l) => registry.interface.parseLog(l)).find((e) => e && e.name === "ExtensionRegistered");
  assert.equal(ev.args.id, id);
  assert.equal(ev.args.developer, dev.address);
  assert.equal(ev.args.wasmSize, 3000n);

  assert.equal(await registry.exists(id), true);
  const info = await registry.getExtension(id);
  assert.equal(info.id, id);
  assert.equal(info.developer, dev.address);
  assert.equal(info.registeredAt, BigInt(block.timestamp));
  assert.equal(info.mode, BigInt(Mode.Universal));
  assert.equal(info.zkSystem, "zkwasm-stark");
  assert.equal(info.verifierURI, "ipfs://stark-vk");
  assert.equal(info.metadataURI, "ipfs://meta");
  assert.equal(info.wasmSize, 3000n);
  assert.equal(info.deprecated, false);
  assert.equal(await registry.getWasm(id), ethers.hexlify(wasm));
  assert.equal(ethers.keccak256(await registry.getWasm(id)), id);
  assert.equal(await registry.getVerificationKey(id), "0x");
  assert.deepEqual([...(await registry.verifierInfo(id))], [true, false, BigInt(Mode.Universal), ethers.ZeroAddress]);
  assert.equal(await registry.extensionIdAt((await registry.extensionCount()) - 1n), id);
});

test("stores WASM larger than one data contract byte for byte", async () => {
  for (const size of [24575, 24576, 60001]) {
    const wasm = wasmBytes(size);
    const id = ethers.keccak256(wasm);
    await (await registry.registerExtension(id, wasm, "", universal())).wait();
    const back = await registry.getWasm(id);
    assert.equal(ethers.dataLength(back), size);
    assert.equal(ethers.keccak256(back), id, `size ${size}`);
  }
});

test("registers a Custom groth16 Extension with its key and verifier contract", async () => {
  const wasm = wasmBytes(500);
  const id = ethers.keccak256(wasm);
  const vk = ethers.toUtf8Bytes(JSON.stringify({ protocol: "groth16", curve: "bn128", nPublic: 1, pad: "x".repeat(30000) }));
  const meta = { mode: Mode.Custom, zkSystem: "groth16", verificationKey: vk, verifierURI: "ipfs://vk", verifierContract: await verifier.getAddress() };
  await (await registry.registerExtension(id, wasm, "ipfs://m", meta)).wait();
  assert.equal(await registry.getVerificationKey(id), ethers.hexlify(vk));
  const info = await registry.getExtension(id);
  assert.equal(info.verifierContract, await verifier.getAddress());
  assert.equal(info.verificationKeySize, BigInt(vk.length));
  assert.deepEqual([...(await registry.verifierInfo(id))], [true, false, BigInt(Mode.Custom), await verifier.getAddress()]);
});

test("refuses an ID that is not keccak256(wasm), empty WASM and duplicates", async () => {
  const wasm = wasmBytes(100);
  const id = ethers.keccak256(wasm);
  const tampered = Uint8Array.from(wasm);
  tampered[50] ^= 1;
  await expectRevert(registry.registerExtension(id, tampered, "", universal()), registry, "IdMismatch", [id, ethers.keccak256(tampered)]);
  await expectRevert(registry.registerExtension(ethers.keccak256("0x"), "0x", "", universal()), registry, "EmptyWasm");
  await (await registry.registerExtension(id, wasm, "", universal())).wait();
  await expectRevert(registry.connect(other).registerExtension(id, wasm, "", universal()), registry, "AlreadyRegistered", [id]);
});

test("refuses inconsistent verifier metadata", async () => {
  const wasm = wasmBytes(100);
  const id = ethers.keccak256(wasm);
  const v = await verifier.getAddress();
  const cases = [
    [{ ...universal(), zkSystem: "" }, "zkSystem is empty"],
    [{ ...universal(), verifierContract: v }, "Universal mode takes no verifier contract"],
    [{ ...universal(), zkSystem: "groth16" }, "Universal mode is the zkWASM STARK, not groth16"],
    [{ mode: Mode.Custom, zkSystem: "groth16", verificationKey: "0x", verifierURI: "", verifierContract: v }, "Custom mode needs a verification key"],
    [{ mode: Mode.Custom, zkSystem: "groth16", verificationKey: "0x01", verifierURI: "", verifierContract: ethers.ZeroAddress }, "groth16 needs a verifier contract"],
    [{ mode: Mode.Custom, zkSystem: "groth16", verificationKey: "0x01", verifierURI: "", verifierContract: other.address }, "verifier contract has no code"],
    [{ mode: Mode.Custom, zkSystem: "plonk", verificationKey: "0x01", verifierURI: "", verifierContract: v }, "only groth16 is verified on-chain"],
  ];
  for (const [meta, reason] of cases) {
    await expectRevert(registry.registerExtension(id, wasm, "", meta), registry, "BadVerifierMetadata", [reason]);
  }
  assert.equal(await registry.exists(id), false);
});

test("only the developer updates metadata; the update is evented", async () => {
  const wasm = wasmBytes(64);
  const id = ethers.keccak256(wasm);
  await (await registry.registerExtension(id, wasm, "ipfs://v1", universal())).wait();
  await expectRevert(registry.connect(other).updateMetadata(id, "x", "y"), registry, "NotDeveloper", [id, other.address]);
  const receipt = await (await registry.updateMetadata(id, "ipfs://v1b", "ipfs://vk2")).wait();
  const ev = registry.interface.parseLog(receipt.logs[0]);
  assert.equal(ev.name, "ExtensionUpdated");
  assert.deepEqual([...ev.args], [id, "ipfs://v1b", "ipfs://vk2"]);
  const info = await registry.getExtension(id);
  assert.equal(info.metadataURI, "ipfs://v1b");
  assert.equal(info.verifierURI, "ipfs://vk2");
  const unknown = rng.bytes32();
  await expectRevert(registry.updateMetadata(unknown, "", ""), registry, "UnknownExtension", [unknown]);
});

test("the developer deprecates a version and points to its successor", async () => {
  const w1 = wasmBytes(64);
  const w2 = wasmBytes(64);
  const id1 = ethers.keccak256(w1);
  const id2 = ethers.keccak256(w2);
  await (await registry.registerExtension(id1, w1, "", universal())).wait();
  const missing = rng.bytes32();
  await expectRevert(registry.deprecate(id1, missing), registry, "BadSuccessor", [id1, missing]);
  await expectRevert(registry.deprecate(id1, id1), registry, "BadSuccessor", [id1, id1]);
  await (await registry.registerExtension(id2, w2, "", universal())).wait();
  await expectRevert(registry.connect(other).deprecate(id1, id2), registry, "NotDeveloper", [id1, other.address]);
  const receipt = await (await registry.deprecate(id1, id2)).wait();
  const ev = registry.interface.parseLog(receipt.logs[0]);
  assert.equal(ev.name, "ExtensionDeprecated");
  assert.deepEqual([...ev.args], [id1, id2]);
  const info = await registry.getExtension(id1);
  assert.equal(info.deprecated, true);
  assert.equal(info.successor, id2);
  assert.equal((await registry.verifierInfo(id1))[1], true);
  await expectRevert(registry.deprecate(id1, ethers.ZeroHash), registry, "AlreadyDeprecated", [id1]);
  // No successor is allowed too.
  await (await registry.deprecate(id2, ethers.ZeroHash)).wait();
  assert.equal((await registry.getExtension(id2)).successor, ethers.ZeroHash);
});

test("reads of unknown IDs fail with the ID", async () => {
  const unknown = rng.bytes32();
  assert.equal(await registry.exists(unknown), false);
  await expectRevert(registry.getExtension(unknown), registry, "UnknownExtension", [unknown]);
  await expectRevert(registry.getWasm(unknown), registry, "UnknownExtension", [unknown]);
  await expectRevert(registry.getVerificationKey(unknown), registry, "UnknownExtension", [unknown]);
  assert.deepEqual([...(await registry.verifierInfo(unknown))], [false, false, 0n, ethers.ZeroAddress]);
});

// Compiles contracts/src/*.sol (and a snarkjs-exported Groth16 verifier for every fixture key in
// shared/fixtures/groth16/*/) with solc-js for evmVersion shanghai, and writes for each contract
// <out>/<Name>.json ({contractName, sourceName, abi, bytecode, deployedBytecode, compiler}) and
// <out>/<Name>.abi.json.
// Usage: node contracts/scripts/build.mjs [--out DIR]   (default DIR: build/contracts)
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { repoRoot, requireTool, toolPath, sharedDir } from "./deps.mjs";

export const kEvmVersion = "shanghai";
const kOptimizerRuns = 200;
const srcDir = path.join(repoRoot, "contracts", "src");

// Renders the snarkjs Solidity verifier for `zkey` (snarkjs' own `zkey export solidityverifier`).
export function exportGroth16Verifier(zkey, outFile) {
  const cli = toolPath("snarkjs", "build/cli.cjs");
  execFileSync(process.execPath, [cli, "zkey", "export", "solidityverifier", zkey, outFile], { stdio: "pipe" });
  return fs.readFileSync(outFile, "utf8");
}

export function groth16Fixtures() {
  const dir = path.join(sharedDir(), "fixtures", "groth16");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((d) => fs.existsSync(path.join(dir, d, "circuit.zkey")))
    .sort()
    .map((d) => ({ name: d, dir: path.join(dir, d), zkey: path.join(dir, d, "circuit.zkey") }));
}

export function build(outDir) {
  const solc = requireTool("solc");
  fs.mkdirSync(path.join(outDir, "generated"), { recursive: true });
  const sources = {};
  for (const f of fs.readdirSync(srcDir).filter((f) => f.endsWith(".sol")).sort()) {
    sources[`src/${f}`] = { content: fs.readFileSync(path.join(srcDir, f), "utf8") };
  }
  // Verifier contracts are all named Groth16Verifier; artifacts take the fixture's name.
  const artifactName = {};
  for (const fx of groth16Fixtures()) {
    const unit = `generated/Groth16Verifier_${fx.name}.sol`;
    sources[unit] = { content: exportGroth16Verifier(fx.zkey, path.join(outDir, unit)) };
    artifactName[unit] = `Groth16Verifier_${fx.name}`;
  }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      evmVersion: kEvmVersion,
      optimizer: { enabled: true, runs: kOptimizerRuns },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const problems = (output.errors || []).filter(
    (e) => e.severity === "error" || (e.sourceLocation && e.sourceLocation.file.startsWith("src/")),
  );
  for (const e of output.errors || []) process.stderr.write(e.formattedMessage + "\n");
  if (problems.length) throw new Error(`solc reported ${problems.length} error(s)/warning(s) in contracts/src`);

  const written = [];
  for (const [unit, contracts] of Object.entries(output.contracts)) {
    for (const [name, c] of Object.entries(contracts)) {
      // Interfaces and internal-only libraries: nothing to deploy or call.
      if (!c.evm.bytecode.object || !c.abi.some((x) => x.type === "function")) continue;
      const file = artifactName[unit] || name;
      const artifact = {
        contractName: name,
        sourceName: unit,
        abi: c.abi,
        bytecode: "0x" + c.evm.bytecode.object,
        deployedBytecode: "0x" + c.evm.deployedBytecode.object,
        compiler: { solc: solc.version(), evmVersion: kEvmVersion, optimizerRuns: kOptimizerRuns },
      };
      fs.writeFileSync(path.join(outDir, `${file}.json`), JSON.stringify(artifact, null, 1) + "\n");
      fs.writeFileSync(path.join(outDir, `${file}.abi.json`), JSON.stringify(c.abi, null, 1) + "\n");
      written.push(file);
    }
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--out");
  const out = path.resolve(i > 0 ? process.argv[i + 1] : path.join(repoRoot, "build", "contracts"));
  try {
    const names = build(out);
    console.log(`contracts: wrote ${names.join(", ")} to ${out}`);
  } catch (e) {
    console.error(`contracts: ${e.message}`);
    process.exit(1);
  }
}

// npm packages live in tools/node_modules (installed by tools/setup.sh); resolve them from there
// so contracts/ needs no node_modules of its own.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const toolsRequire = createRequire(path.join(repoRoot, "tools", "package.json"));

export function requireTool(name) {
  try {
    return toolsRequire(name);
  } catch (e) {
    if (e.code === "MODULE_NOT_FOUND" || e.code === "ERR_MODULE_NOT_FOUND") {
      throw new Error(`npm package '${name}' is not installed in tools/node_modules: run 'bash tools/setup.sh'`);
    }
    throw e;
  }
}

// A file inside an installed package (some packages do not export package.json).
export function toolPath(name, rel) {
  const file = path.join(repoRoot, "tools", "node_modules", name, rel);
  if (!fs.existsSync(file)) {
    throw new Error(`${name}/${rel} not found in tools/node_modules: run 'bash tools/setup.sh'`);
  }
  return file;
}

export function sharedDir() {
  return process.env.EFAAS_SHARED_DIR || path.join(repoRoot, "..", "shared");
}

// Decides whether the compiled `dist/` may run in place of the TypeScript sources. The build
// hashes the sources (every file under the compiled directories, plus the tsconfig files) BEFORE
// compiling and writes that hash to dist/.source-hash only after tsc succeeded; the bin hashes
// them again at start-up (~1 MB, a few ms) and runs dist only on an exact match. A content hash,
// not mtimes: a checkout, copy or edit that keeps an older mtime can never make stale code run.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** What `tsc -p tsconfig.build.json` compiles, and the configuration that shapes the output. */
const SOURCE_DIRS = ["src", "codegen", "adapters", "cli"];
const CONFIG_FILES = ["tsconfig.json", "tsconfig.build.json"];
export const STAMP_FILE = join("dist", ".source-hash");

/** sha256 over every source file's path and content, in a fixed order. */
export function sourceHash(root) {
  const hash = createHash("sha256");
  const add = (relative) => {
    hash.update(`${relative}\0`);
    hash.update(readFileSync(join(root, relative)));
    hash.update("\0");
  };
  for (const file of CONFIG_FILES) add(file);
  for (const dir of SOURCE_DIRS) for (const file of filesUnder(root, dir)) add(file);
  return hash.digest("hex");
}

function filesUnder(root, dir) {
  const entries = readdirSync(join(root, dir), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files = [];
  for (const entry of entries) {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) files.push(...filesUnder(root, relative));
    else files.push(relative);
  }
  return files;
}

/** True when dist/ was built from exactly the sources now on disk. */
export function distIsFresh(root) {
  let stamp;
  try {
    stamp = readFileSync(join(root, STAMP_FILE), "utf8").trim();
  } catch {
    return false;
  }
  try {
    return stamp === sourceHash(root);
  } catch {
    // A source file vanished mid-walk (someone is editing): not provably fresh.
    return false;
  }
}

/** An installed package ships dist/ without the sources: then dist is all there is. */
export function hasSources(root) {
  return existsSync(join(root, "cli", "main.ts"));
}

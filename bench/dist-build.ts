/**
 * The benchmark measures the proxy as it is shipped: compiled. It builds dist/ first (`npm run
 * build`, which stamps it with the hash of the sources), and reports which code the proxy process
 * then runs — the bin falls back to the sources through tsx when dist/ is missing or stale.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { distIsFresh } from "../bin/dist-stamp.js";

const root = join(import.meta.dirname, "..");

/** Builds dist/; a failed build leaves the proxy on the sources, and the output says so. */
export function buildDist(): void {
  const build = spawnSync(process.execPath, [join(root, "bin", "build-dist.js")], { encoding: "utf8" });
  if (build.status !== 0)
    process.stderr.write(`bench: npm run build failed, proxy runs from sources\n${build.stdout}`);
}

/** What `jobshim proxy` runs if started now. */
export function proxyCode(): string {
  return distIsFresh(root)
    ? "compiled dist/ (built from the current sources)"
    : "sources through tsx (dist/ missing or stale)";
}

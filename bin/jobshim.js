#!/usr/bin/env node
// Runs the compiled CLI (dist/, `npm run build`) when it was built from exactly the sources on
// disk, and the TypeScript sources through tsx otherwise: the bin works right after `npm ci` with
// no build step and never runs stale compiled code. The compiled CLI starts faster and stays
// smaller (no tsx/esbuild, no source transform cache): a long-running `jobshim proxy` gains most.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { distIsFresh, hasSources } from "./dist-stamp.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

const fromSources = hasSources(root) && !distIsFresh(root);
if (fromSources) {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../cli/main.ts");
} else {
  await import("../dist/cli/main.js");
}

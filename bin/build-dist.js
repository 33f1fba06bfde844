// `npm run build` (a development tool: the package ships what it builds, not this script): compiles the sources to dist/ and stamps it with the hash of the sources it was
// compiled from (see dist-stamp.js). The hash is taken before tsc starts, so a file edited during
// the build makes the stamp mismatch and the bin keeps running the sources; the old stamp goes
// first, so a failed or interrupted build never leaves a dist/ that looks fresh.
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { STAMP_FILE, sourceHash } from "./dist-stamp.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// A clean dist/: files of deleted sources must not linger where an import could still find them.
rmSync(join(root, "dist"), { recursive: true, force: true });
const hash = sourceHash(root);
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
// No source maps: a map pointing at .ts files the package does not ship only misleads a debugger,
// and embedding the sources would double the package for stack traces Node does not map by default.
const result = spawnSync(
  process.execPath,
  [tsc, "-p", join(root, "tsconfig.build.json"), "--sourceMap", "false"],
  {
    stdio: "inherit",
  },
);
if (result.status !== 0) {
  process.exitCode = result.status ?? 1;
} else {
  writeFileSync(join(root, STAMP_FILE), `${hash}\n`);
}

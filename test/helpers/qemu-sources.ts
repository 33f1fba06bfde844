import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** QEMU versions whose source trees `scripts/fetch-qemu-sources.sh` knows. */
export type QemuSourceVersion = "7.2" | "10.0";

/** Where `scripts/fetch-qemu-sources.sh` unpacks QEMU's source trees: a cache outside git. */
export const qemuSourcesCache =
  process.env.JOBSHIM_QEMU_SOURCES ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "jobshim", "qemu-sources");

const warned = new Set<string>();

/**
 * The unpacked source tree of QEMU `version` (qapi/, tests/qapi-schema/, ...), or undefined
 * after one loud line when it was never fetched. Under `REQUIRE_QEMU=1` (CI) a missing tree
 * is an error, so tests that read QEMU's files can never be skipped there.
 */
export function qemuSourceTree(version: QemuSourceVersion): string | undefined {
  const tree = path.join(qemuSourcesCache, version);
  if (existsSync(path.join(tree, ".jobshim-source"))) return tree;
  const why = `QEMU ${version}'s sources are not in ${tree}: run scripts/fetch-qemu-sources.sh ${version}`;
  if (process.env.REQUIRE_QEMU === "1") throw new Error(`REQUIRE_QEMU=1 but ${why}`);
  if (!warned.has(version)) {
    warned.add(version);
    console.warn(`\n*** SKIPPING tests that read QEMU's own files: ${why} ***\n`);
  }
  return undefined;
}

/** QEMU `version`'s whole schema (`qapi/qapi-schema.json`), or undefined as for {@link qemuSourceTree}. */
export function qemuSchemaFile(version: QemuSourceVersion): string | undefined {
  const tree = qemuSourceTree(version);
  return tree === undefined ? undefined : path.join(tree, "qapi", "qapi-schema.json");
}

/** QEMU `version`'s parser test corpus (`tests/qapi-schema`), or undefined as for {@link qemuSourceTree}. */
export function qemuParserCorpus(version: QemuSourceVersion): string | undefined {
  const tree = qemuSourceTree(version);
  return tree === undefined ? undefined : path.join(tree, "tests", "qapi-schema");
}

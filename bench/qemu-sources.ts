import { existsSync } from "node:fs";
import path from "node:path";
import { qemuSourcesCache } from "../test/helpers/qemu-sources.ts";

/**
 * QEMU 7.2's whole schema in the source cache that `scripts/fetch-qemu-sources.sh` fills (the
 * same cache the tests read). A benchmark cannot skip a number quietly, so a missing cache is an
 * error that says how to fill it.
 */
export function qemu72SchemaFile(): string {
  const tree = path.join(qemuSourcesCache, "7.2");
  if (!existsSync(path.join(tree, ".jobshim-source")))
    throw new Error(
      `QEMU 7.2's sources are not in ${tree}; the codegen benchmark reads its schema from there. ` +
        "Run scripts/fetch-qemu-sources.sh 7.2 (or set JOBSHIM_QEMU_SOURCES to where it put them).",
    );
  return path.join(tree, "qapi", "qapi-schema.json");
}

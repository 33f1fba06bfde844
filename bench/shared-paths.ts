import { join } from "node:path";

/** QEMU 7.2's schema corpus, read-only test input beside the project (overridable for CI layouts). */
export function qemuSharedDir(): string {
  return process.env.QEMU_SHARED ?? join(import.meta.dirname, "..", "..", "shared", "qemu-7.2");
}

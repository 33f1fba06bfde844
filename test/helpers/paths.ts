import path from "node:path";

/** The project root, for tests that read schema/ or run the bin. */
export const projectRoot = path.resolve(import.meta.dirname, "../..");

/** QEMU 7.2's schema and parser corpus: read-only test input beside the project. */
export const qemuShared = process.env.QEMU_SHARED ?? path.resolve(projectRoot, "../shared/qemu-7.2");

import path from "node:path";

/** The project root, for tests that read schema/ or run the bin. */
export const projectRoot = path.resolve(import.meta.dirname, "../..");

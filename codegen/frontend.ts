// PLACEHOLDER until the checker helper lands: signature only.
import type { Schema } from "./ir.ts";

/** Parses, checks and resolves the schema rooted at `path`. Throws SchemaError. */
export function loadSchema(_path: string): Schema {
  throw new Error("not implemented yet");
}

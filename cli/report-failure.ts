import { SchemaError } from "../codegen/source-info.ts";

/**
 * Prints a failure the way a user can act on it and returns the exit code. Schema errors are
 * printed whole (their context lines matter); anything else as one line.
 */
export function reportFailure(error: unknown): number {
  if (error instanceof SchemaError) {
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const text = error instanceof Error ? error.message : String(error);
  process.stderr.write(`jobshim: ${text.split("\n")[0]}\n`);
  return 1;
}

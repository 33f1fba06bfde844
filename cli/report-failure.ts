import { SchemaError } from "../codegen/source-info.ts";
import { exitCodeOf } from "./exit-codes.ts";

/**
 * Prints a failure the way a user can act on it and returns the exit code. Schema errors are
 * printed whole (their context lines matter); anything else as one line. The exit status tells
 * usage, connection, QMP and timeout failures apart (exit-codes.ts).
 */
export function reportFailure(error: unknown): number {
  if (error instanceof SchemaError) {
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  const text = error instanceof Error ? error.message : String(error);
  process.stderr.write(`jobshim: ${text.split("\n")[0]}\n`);
  return exitCodeOf(error);
}

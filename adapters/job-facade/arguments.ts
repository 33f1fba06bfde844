/**
 * Argument checks for the facade's own commands, with QEMU's visitor texts, so a mistyped
 * job-migrate is answered the way QEMU answers a mistyped migrate.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";
import { generic } from "./job-errors.ts";

type Kind = "str" | "bool" | "int";

export type ArgSpec = Record<string, { kind: Kind; optional?: boolean }>;

const expected: Record<Kind, string> = { str: "string", bool: "boolean", int: "integer" };

function fits(kind: Kind, value: unknown): boolean {
  if (kind === "str") return typeof value === "string";
  if (kind === "bool") return typeof value === "boolean";
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/** Throws QEMU's error for the first problem; returns the arguments unchanged otherwise. */
export function checkArgs(args: JsonObject, spec: ArgSpec): JsonObject {
  for (const name of Object.keys(args))
    if (!(name in spec)) throw generic(`Parameter '${name}' is unexpected`);
  for (const [name, { kind, optional }] of Object.entries(spec)) {
    const value = args[name];
    if (value === undefined) {
      if (!optional) throw generic(`Parameter '${name}' is missing`);
      continue;
    }
    if (!fits(kind, value))
      throw generic(`Invalid parameter type for '${name}', expected: ${expected[kind]}`);
  }
  return args;
}

/** JSON Schemas of QAPI's built-in types, with the exact ranges of the sized integers. */
import type { BuiltinType } from "./ir.ts";
import type { JsonObject } from "./json-value.ts";

/** `bounds`: include the integer ranges (validation wants them, types do not). */
export function builtinSchema(t: BuiltinType, bounds = true): JsonObject {
  switch (t.jsonType) {
    case "string":
      return { type: "string" };
    case "int":
      return t.range && bounds
        ? { type: "integer", ...integerBounds(t.range.min, t.range.max) }
        : { type: "integer" };
    case "number":
      return { type: "number" };
    case "boolean":
      return { type: "boolean" };
    case "null":
      return { type: "null" };
    case "value":
      return {};
    case "object":
      return { type: "object" };
    case "array":
      return { type: "array" };
  }
}

/**
 * The bounds of a sized integer. 2^63-1 and 2^64-1 are not doubles: JSON.parse turns QEMU's
 * largest uint64 into 2^64, so the upper bound is the double the true maximum rounds to, and a
 * value that rounds higher is out of range. Wide values stay bigints so the generated text
 * spells every digit of that double (a shorter spelling like 18446744073709552000 is not the
 * same number on paper).
 */
function integerBounds(min: bigint, max: bigint): JsonObject {
  return { minimum: asDouble(min), maximum: asDouble(max) };
}

function asDouble(value: bigint): number | bigint {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : BigInt(n);
}

/** JSON Schemas of QAPI's built-in types, with the exact ranges of the sized integers. */
import type { BuiltinType } from "./ir.ts";
import type { JsonObject } from "./json-value.ts";

export function builtinSchema(t: BuiltinType): JsonObject {
  switch (t.jsonType) {
    case "string":
      return { type: "string" };
    case "int":
      return t.range ? { type: "integer", ...integerBounds(t.range.min, t.range.max) } : { type: "integer" };
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
 * 64-bit bounds: -2^63 is exact as a double, but 2^63-1 and 2^64-1 are not, so the upper bound
 * becomes the exclusive 2^63 / 2^64, which doubles do represent exactly. Wide values stay
 * bigints so the generated text spells every digit.
 */
function integerBounds(min: bigint, max: bigint): JsonObject {
  const lower = { minimum: exactNumber(min) ?? min };
  const upper = exactNumber(max);
  return upper !== undefined ? { ...lower, maximum: upper } : { ...lower, exclusiveMaximum: max + 1n };
}

function exactNumber(value: bigint): number | undefined {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

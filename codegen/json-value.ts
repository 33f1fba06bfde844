/**
 * JSON values as the JSON Schema emitters build them, and their deterministic text form.
 * Integers may be bigints so that 64-bit bounds are written exactly, digit for digit.
 */

export type JsonValue = string | number | bigint | boolean | null | JsonValue[] | JsonObject;

export interface JsonObject {
  [key: string]: JsonValue;
}

/** Objects and arrays whose one-line form fits this many characters are written on one line. */
const INLINE_WIDTH = 72;

/**
 * Readable JSON text that is also a valid TypeScript expression: 2-space indent, small values on
 * one line. Bigints are written as plain integer literals, which JSON.stringify refuses to do.
 * Each value is rendered once, children first, so the cost stays linear in the output.
 */
export function jsonText(value: JsonValue, indent = ""): string {
  if (value === null || typeof value !== "object") return scalarText(value);
  const inner = `${indent}  `;
  const isArray = Array.isArray(value);
  const parts = isArray
    ? value.map((v) => jsonText(v, inner))
    : Object.keys(value).map((k) => `${JSON.stringify(k)}: ${jsonText(value[k] as JsonValue, inner)}`);
  if (parts.length === 0) return isArray ? "[]" : "{}";
  if (fitsOneLine(parts)) return isArray ? `[${parts.join(", ")}]` : `{ ${parts.join(", ")} }`;
  const [open, close] = isArray ? ["[", "]"] : ["{", "}"];
  return `${open}\n${inner}${parts.join(`,\n${inner}`)}\n${indent}${close}`;
}

function fitsOneLine(parts: string[]): boolean {
  let length = 0;
  for (const part of parts) {
    length += part.length + 2;
    if (length > INLINE_WIDTH || part.includes("\n")) return false;
  }
  return true;
}

function scalarText(value: string | number | bigint | boolean | null): string {
  return typeof value === "bigint" ? value.toString() : JSON.stringify(value);
}

/** The value as plain JSON data (bigints become numbers), e.g. to hand to ajv or jstt. */
export function toPlainJson(value: JsonValue): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? Number(v) : v)));
}

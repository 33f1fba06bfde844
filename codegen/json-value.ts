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
 */
export function jsonText(value: JsonValue, indent = ""): string {
  if (value === null || typeof value !== "object") return scalarText(value);
  const flat = oneLine(value);
  if (flat !== undefined) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value))
    return `[\n${value.map((v) => inner + jsonText(v, inner)).join(",\n")}\n${indent}]`;
  const entries = Object.keys(value).map(
    (k) => `${inner}${JSON.stringify(k)}: ${jsonText(value[k] as JsonValue, inner)}`,
  );
  return `{\n${entries.join(",\n")}\n${indent}}`;
}

/** The one-line form, or undefined as soon as it is known to exceed INLINE_WIDTH. */
function oneLine(value: JsonValue): string | undefined {
  if (value === null || typeof value !== "object") return scalarText(value);
  const parts: string[] = [];
  let length = 0;
  const entries = Array.isArray(value) ? value.map((v) => [undefined, v] as const) : Object.entries(value);
  for (const [key, v] of entries) {
    const text = oneLine(v);
    if (text === undefined) return undefined;
    const part = key === undefined ? text : `${JSON.stringify(key)}: ${text}`;
    length += part.length + 2;
    if (length > INLINE_WIDTH) return undefined;
    parts.push(part);
  }
  if (Array.isArray(value)) return `[${parts.join(", ")}]`;
  return parts.length === 0 ? "{}" : `{ ${parts.join(", ")} }`;
}

function scalarText(value: string | number | bigint | boolean | null): string {
  return typeof value === "bigint" ? value.toString() : JSON.stringify(value);
}

/** The value as plain JSON data (bigints become numbers), e.g. to hand to ajv or jstt. */
export function toPlainJson(value: JsonValue): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? Number(v) : v)));
}

/**
 * A JSON value as QMP carries it. Numbers are JavaScript numbers: an integer beyond 2^53 loses
 * precision and `1.0` reads as 1, so the framer keeps such literals' text beside the value
 * (number-literal.ts) for validation and exact forwarding.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

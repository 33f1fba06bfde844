/**
 * What a JS number cannot say about a JSON number literal, kept beside the parsed value: its
 * text as written. QEMU's parser makes `1.0` and `1e3` doubles, which no integer member takes,
 * and keeps integers exactly up to 2^64 - 1, where a JS number is exact only to 2^53.
 *
 * The framer records a literal when the number alone would mislead: every float literal (its
 * JS value may be integral) and every integer of 16 or more characters (beyond 2^53 is at least
 * 16 digits). A number with no record was written as an integer a JS number holds exactly, or
 * was built by code. Records are keyed by the object or array holding the number and the
 * member name (or array index as a string), in weak maps, so values stay plain JSON values.
 *
 * A record describes the value as parsed: code that replaces or copies the number must not
 * expect the record to follow (copyLiteral carries one across on purpose).
 */

const records = new WeakMap<object, Map<string, string>>();
/** Every container with a record in it or anywhere below it (see hasLiterals). */
const holders = new WeakSet<object>();

const TWO_63 = 2n ** 63n;
const TWO_64 = 2n ** 64n;

/** Records `text` as the literal written for `container[key]`; `within` are its ancestors. */
export function recordLiteral(
  container: object,
  key: string,
  text: string,
  within: readonly object[] = [],
): void {
  let members = records.get(container);
  if (!members) {
    members = new Map();
    records.set(container, members);
  }
  members.set(key, text);
  holders.add(container);
  for (const ancestor of within) holders.add(ancestor);
}

/** The literal text written for `container[key]`, when it was recorded. */
export function literalOf(container: object, key: string): string | undefined {
  return records.get(container)?.get(key);
}

/** Whether `value` (an object or array) or anything inside it holds a recorded literal. */
export function hasLiterals(value: unknown): boolean {
  return typeof value === "object" && value !== null && holders.has(value);
}

/** Carries the record of `from[fromKey]` (if any) over to `to[toKey]`, e.g. a request id into its reply. */
export function copyLiteral(from: object, fromKey: string, to: object, toKey: string): void {
  const text = literalOf(from, fromKey);
  if (text !== undefined) recordLiteral(to, toKey, text);
}

/**
 * The members `keys` of `source` that are present, in a new object that keeps their records:
 * for code that forwards part of a client's arguments (a facade picking `max-bandwidth`).
 */
export function pickMembers(
  source: Record<string, unknown>,
  keys: readonly string[],
): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) {
    if (!Object.hasOwn(source, key)) continue;
    picked[key] = source[key];
    copyLiteral(source, key, picked, key);
  }
  return picked;
}

/** Whether a number token is one the framer must record (see the module comment). */
export function needsRecord(text: string, float: boolean): boolean {
  return float || text.length >= 16;
}

/** A float literal has a fraction or an exponent; an integer literal has neither. */
export function isFloatText(text: string): boolean {
  return /[.eE]/.test(text);
}

/**
 * A number the way QEMU 7.2's parser holds it (QNum): an integer literal becomes int64 when it
 * fits, else uint64 when it fits, else a double, as does every float literal.
 */
export type QemuNumber = { kind: "int64" | "uint64"; value: bigint } | { kind: "double"; value: number };

export function qemuNumberOf(value: number, literal: string | undefined): QemuNumber {
  if (literal !== undefined && isFloatText(literal)) return { kind: "double", value: Number(literal) };
  if (literal === undefined && !Number.isInteger(value)) return { kind: "double", value };
  // No record: an integer a JS number holds exactly, or built by code (taken at face value).
  const exact = literal === undefined ? BigInt(value) : BigInt(literal);
  if (exact >= -TWO_63 && exact < TWO_63) return { kind: "int64", value: exact };
  if (exact >= 0n && exact < TWO_64) return { kind: "uint64", value: exact };
  return { kind: "double", value: Number(exact) };
}

/**
 * JSON text of `value` in which every recorded literal is written exactly as the client wrote
 * it, for forwarding a request to QEMU: `2^53 + 1` stays 9007199254740993 and `1e3` stays a
 * float (QEMU must refuse it where it wants an integer, not receive 1000). Values without
 * records, and all of `value` when neither it nor a member of it holds one, go through
 * JSON.stringify unchanged, so the common case costs one or two WeakSet lookups.
 */
export function stringifyExact(value: unknown): string {
  return needsExactWriter(value) ? writeMembers(value as object) : JSON.stringify(value);
}

/** The value itself, or one of its direct members (a request wrapping parsed arguments). */
function needsExactWriter(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (holders.has(value)) return true;
  for (const key in value) if (hasLiterals((value as Record<string, unknown>)[key])) return true;
  return false;
}

function writeMembers(value: object): string {
  const members = records.get(value);
  const write = (key: string, item: unknown): string => {
    const text = typeof item === "number" ? members?.get(key) : undefined;
    if (text !== undefined) return text;
    return hasLiterals(item) ? writeMembers(item as object) : JSON.stringify(item);
  };
  if (Array.isArray(value)) return `[${value.map((item, i) => write(String(i), item)).join(",")}]`;
  const parts: string[] = [];
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) parts.push(`${JSON.stringify(key)}:${write(key, item)}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * The text QEMU wrote for a value, kept beside the value so a proxy relays QEMU's reply as
 * QEMU wrote it instead of re-serialising it (faster, and exact even for integers beyond
 * 2^53, which a JS number cannot hold). Only the QMP client sets it, for calls that ask for it
 * (`execute(…, { raw: true })`); toQemuJson writes the text in place of the value.
 *
 * The text is only right while the value is unchanged: a value a caller asked for raw must not
 * be modified (it is frozen at the top level so that a modification fails loudly).
 */
import type { JsonValue } from "./json-value.ts";

const texts = new WeakMap<object, string>();

/** Remembers `text` as the QEMU-format serialisation of `value` (an object or array). */
export function rememberRawText(value: JsonValue, text: string): void {
  if (value === null || typeof value !== "object") return;
  texts.set(value, text);
  Object.freeze(value);
}

export function rawTextOf(value: object): string | undefined {
  return texts.get(value);
}

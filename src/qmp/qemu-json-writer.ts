/**
 * Writes JSON byte for byte as QEMU's QMP monitor does: `": "` and `", "` separators, object
 * members in QEMU's hash order, non-ASCII and control characters as upper-case `\uXXXX`
 * (surrogate pairs beyond the BMP), numbers as `%.17g` for non-integers.
 *
 * A number parsed with its literal recorded (number-literal.ts) is written as QEMU writes what
 * its parser made of that literal: an integer up to 2^64 - 1 digit for digit, anything else
 * (`1.0`, `1e18`, integers past uint64) as the double `%.17g` gives — so an id is echoed as QEMU
 * echoes it.
 */
import type { JsonValue } from "./json-value.ts";
import { literalOf, qemuNumberOf } from "./number-literal.ts";
import { qdictOrder } from "./qdict-order.ts";
import { rawTextOf } from "./raw-json.ts";

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

const hex4 = (unit: number) => `\\u${unit.toString(16).toUpperCase().padStart(4, "0")}`;

/** Printable ASCII other than `"` and `\`: written as it is. */
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

export function quoteString(text: string): string {
  // A 10 MB id echoed back took a second character by character; one test is enough here.
  if (VERBATIM.test(text)) return `"${text}"`;
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    const unit = text.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short) out += short;
    else if (unit >= 0x20 && unit <= 0x7e) out += ch;
    else out += hex4(unit); // UTF-16 units are exactly QEMU's surrogate-pair escapes
  }
  return `${out}"`;
}

/** C's `%.17g`: 17 significant digits, trailing zeros dropped, exponent when it is < -4 or >= 17. */
export function formatG17(value: number): string {
  if (!Number.isFinite(value)) return value > 0 ? "inf" : value < 0 ? "-inf" : "nan";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const [mantissa = "", exponentText = "0"] = value.toExponential(16).split("e");
  const exponent = Number(exponentText);
  const trim = (digits: string) => (digits.includes(".") ? digits.replace(/\.?0+$/, "") : digits);
  if (exponent < -4 || exponent >= 17) {
    const sign = exponent < 0 ? "-" : "+";
    return `${trim(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
  }
  return trim(value.toFixed(Math.max(0, 16 - exponent)));
}

function formatNumber(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 2 ** 63 ? BigInt(value).toString() : formatG17(value);
}

/** The member `key` of `container`, taking a recorded number literal into account. */
function member(container: object, key: string, item: JsonValue): string {
  if (typeof item !== "number") return toQemuJson(item);
  const literal = literalOf(container, key);
  if (literal === undefined) return formatNumber(item);
  const parsed = qemuNumberOf(item, literal);
  return parsed.kind === "double" ? formatG17(parsed.value) : parsed.value.toString();
}

export function toQemuJson(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "string") return quoteString(value);
  const raw = rawTextOf(value);
  if (raw !== undefined) return raw;
  if (Array.isArray(value)) return `[${value.map((item, i) => member(value, String(i), item)).join(", ")}]`;
  const members = qdictOrder(Object.keys(value)).map(
    (key) => `${quoteString(key)}: ${member(value, key, value[key] as JsonValue)}`,
  );
  return `{${members.join(", ")}}`;
}

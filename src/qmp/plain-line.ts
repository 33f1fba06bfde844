/**
 * A fast path for framing: QEMU writes every message as one line of plain ASCII JSON. For such
 * a line, the native JSON.parse gives exactly the value QEMU's lexer and parser would (about
 * ten times faster), so `LineFramer` uses it whenever the QEMU-exact framer holds nothing and
 * the line is plain enough that the two cannot disagree; every other byte goes through
 * JsonFramer unchanged. It also keeps each fast-parsed line's text, so a reply can be relayed
 * as QEMU wrote it (raw-json.ts).
 *
 * JSON.parse cannot tell `1.0` from `1` nor keep integers beyond 2^53, so a framer asked for
 * exact numbers (a server: QEMU refuses `1.0` for an integer, and a proxy must forward 2^53 + 1
 * as written) leaves lines with such a literal to JsonFramer, which records them
 * (number-literal.ts). Only those lines pay.
 */
import { type Framed, type FramerLimits, JsonFramer, QEMU_LIMITS } from "./json-framer.ts";
import type { JsonValue } from "./json-value.ts";

/**
 * Printable ASCII without backslashes: no escapes (where QEMU refuses `\u0000` and lone
 * surrogates), no control characters, no bytes QEMU's lexer rejects; an optional CR before
 * the LF. Single quotes are harmless: outside a string JSON.parse fails, and the slow path runs.
 */
const PLAIN = /^[\x20-\x5b\x5d-\x7e]*\r?$/;
/** A key's closing quote; without backslashes no string can contain a quote. */
const KEY_END = /"\s*:/g;
/** Up to this length a line cannot open more brackets than QEMU's nesting limit allows. */
const SHORT = QEMU_LIMITS.maxNesting;
/**
 * A digit before `.`, `e` or `E` (every float literal has one) or 16 digits in a row (every
 * integer beyond 2^53 has them). Strings may match too ("disk1.qcow2"): that only costs speed.
 */
const INEXACT_NUMBER = /[0-9][.eE]|[0-9]{16}/;

export interface LineFramerOptions {
  /** Keep number literals JSON.parse would blur (see above); off for QEMU's own output. */
  exactNumbers?: boolean;
}

export type LineFramed = Framed & { text?: string };

export class LineFramer {
  private readonly framer: JsonFramer;
  private readonly limits: Required<FramerLimits>;
  private readonly exactNumbers: boolean;

  constructor(limits: FramerLimits = {}, options: LineFramerOptions = {}) {
    this.limits = { ...QEMU_LIMITS, ...limits };
    this.exactNumbers = options.exactNumbers === true;
    this.framer = new JsonFramer(limits);
  }

  /** Nothing held of a value not yet complete. */
  get idle(): boolean {
    return this.framer.idle;
  }

  /** Feeds one chunk; returns every value (or error) it completed, in order. */
  push(chunk: Buffer): LineFramed[] {
    const out: LineFramed[] = [];
    let from = 0;
    while (from < chunk.length) {
      const newline = chunk.indexOf(10, from);
      const end = newline < 0 ? chunk.length : newline + 1;
      const fast = newline >= 0 && this.framer.idle ? this.plain(chunk, from, newline) : undefined;
      if (fast) out.push(fast);
      else for (const framed of this.framer.push(chunk.subarray(from, end))) out.push(framed);
      from = end;
    }
    return out;
  }

  /** The line's value if the fast path is sure to agree with QEMU's parser, else undefined. */
  private plain(chunk: Buffer, from: number, newline: number): LineFramed | undefined {
    if (newline - from >= Math.min(this.limits.maxMessageBytes, this.limits.maxTokens)) return undefined;
    const line = chunk.toString("latin1", from, newline);
    if (!PLAIN.test(line)) return undefined;
    if (this.exactNumbers && INEXACT_NUMBER.test(line)) return undefined;
    let value: JsonValue;
    try {
      value = JSON.parse(line) as JsonValue;
    } catch {
      return undefined;
    }
    if (line.length > SHORT && depthOf(value) > this.limits.maxNesting) return undefined;
    // QEMU refuses duplicate keys; JSON.parse keeps the last. Every key ends in `"…:`, and a
    // string value may also match, so equal counts prove there was no duplicate.
    if (countKeys(value) !== (line.match(KEY_END)?.length ?? 0)) return undefined;
    const text = line.endsWith("\r") ? line.slice(0, -1).trim() : line.trim();
    return { ok: true, value, text };
  }
}

function countKeys(value: JsonValue): number {
  if (value === null || typeof value !== "object") return 0;
  let count = 0;
  if (Array.isArray(value)) for (const item of value) count += countKeys(item);
  else for (const key in value) count += 1 + countKeys(value[key] as JsonValue);
  return count;
}

function depthOf(value: JsonValue): number {
  if (value === null || typeof value !== "object") return 0;
  let deepest = 0;
  for (const item of Array.isArray(value) ? value : Object.values(value))
    deepest = Math.max(deepest, depthOf(item));
  return deepest + 1;
}

/**
 * Splits a QMP byte stream into JSON values the way QEMU does: not by lines but by bracket
 * balance over tokens, so one value may span chunks and lines and several may share one.
 * Errors are reported in QEMU's words and the stream carries on after them, as QEMU's does.
 * Memory is bounded: a value bigger than `maxMessageBytes` is dropped with an error.
 */
import { JsonLexer, type Token } from "./json-lexer.ts";
import { parseTokens } from "./json-token-parser.ts";
import type { JsonValue } from "./json-value.ts";

export type Framed = { ok: true; value: JsonValue } | { ok: false; message: string };

export interface FramerLimits {
  /** QEMU's own limit is 64 MiB. */
  maxMessageBytes?: number;
  /** QEMU: 2 Mi tokens. */
  maxTokens?: number;
  /** QEMU: 1024 open brackets and braces together. */
  maxNesting?: number;
}

export const QEMU_LIMITS: Required<FramerLimits> = {
  maxMessageBytes: 64 * 1024 * 1024,
  maxTokens: 2 * 1024 * 1024,
  maxNesting: 1024,
};

const DEPTH_CHANGE: Partial<Record<Token["type"], [number, number]>> = {
  lcurly: [1, 0],
  rcurly: [-1, 0],
  lsquare: [0, 1],
  rsquare: [0, -1],
};

export class JsonFramer {
  private readonly limits: Required<FramerLimits>;
  private readonly lexer: JsonLexer;
  private tokens: Token[] = [];
  private size = 0;
  private braces = 0;
  private brackets = 0;
  private out: Framed[] = [];

  constructor(limits: FramerLimits = {}) {
    this.limits = { ...QEMU_LIMITS, ...limits };
    this.lexer = new JsonLexer(
      (token) => this.onToken(token),
      () => this.emit({ ok: false, message: "JSON token size limit exceeded" }),
      this.limits.maxMessageBytes,
    );
  }

  /** Feeds one chunk; returns every value (or error) it completed, in order. */
  push(chunk: Buffer | Uint8Array | string): Framed[] {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk);
    this.lexer.feed(bytes);
    const done = this.out;
    this.out = [];
    return done;
  }

  /** Nothing held: no partial token, no tokens of an unfinished value (plain-line.ts). */
  get idle(): boolean {
    return this.tokens.length === 0 && this.lexer.idle;
  }

  /** Bytes held for a value not yet complete. */
  get pendingBytes(): number {
    return this.size;
  }

  reset(): void {
    this.lexer.reset();
    this.clear();
  }

  private onToken(token: Token): void {
    if (token.type === "error") {
      this.emit({ ok: false, message: `JSON parse error, stray '${strayText(token.bytes)}'` });
      return;
    }
    const change = DEPTH_CHANGE[token.type];
    if (change) {
      this.braces += change[0];
      this.brackets += change[1];
    }
    const limitError = this.limitError(token);
    if (limitError) {
      this.emit({ ok: false, message: limitError });
      return;
    }
    this.tokens.push(token);
    this.size += token.bytes.length;
    // A closer without its opener ends the value at once: QEMU 7.2 answers "[}" with
    // "expecting value" right away (checked on Debian's 7.2 build by the hostile corpus).
    if ((this.braces > 0 || this.brackets > 0) && this.braces >= 0 && this.brackets >= 0) return;
    const parsed = parseTokens(this.tokens);
    this.emit(parsed.ok ? { ok: true, value: parsed.value } : { ok: false, message: parsed.message });
  }

  private limitError(token: Token): string | undefined {
    if (this.size + token.bytes.length + 1 > this.limits.maxMessageBytes)
      return "JSON token size limit exceeded";
    if (this.tokens.length + 1 > this.limits.maxTokens) return "JSON token count limit exceeded";
    if (this.braces + this.brackets > this.limits.maxNesting) return "JSON nesting depth limit exceeded";
    return undefined;
  }

  private emit(result: Framed): void {
    this.clear();
    this.out.push(result);
  }

  private clear(): void {
    this.tokens = [];
    this.size = 0;
    this.braces = 0;
    this.brackets = 0;
  }
}

/**
 * QEMU prints the offending bytes as a C string: they end at a NUL byte. Invalid UTF-8 shows
 * as U+FFFD here.
 */
function strayText(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

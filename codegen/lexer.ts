/**
 * The QAPI schema tokenizer. Token kinds mirror QEMU's lexer so that error positions and texts
 * match it exactly: `{ } [ ] : ,` stand for themselves, `'` is a string, `t`/`f` a boolean,
 * `#` a comment (only returned while reading a doc block), `null` the end of the file.
 */
import { SchemaError, SourceInfo } from "./source-info.ts";

export type TokenKind = "{" | "}" | "[" | "]" | ":" | "," | "'" | "t" | "f" | "#" | null;

const NEWLINE = 10;
const HASH = 35;
const QUOTE = 39;
const BACKSLASH = 92;
const TAB = 9;
const SPACE = 32;

/** Token characters that stand for themselves. */
const STRUCTURAL = new Set(["{", "}", "[", "]", ":", ","]);

/**
 * What QEMU shows of a stray word: up to the next structural, whitespace or quote character.
 * QEMU master's pattern: 7.2 also stopped at '"' and then crashed on a stray '"'.
 */
const STRAY_WORD = /[^[\]{}:,\s']+/y;

export class Lexer {
  /** The source, always ending in a newline (QEMU appends one when missing). */
  readonly src: string;
  tok: TokenKind = null;
  /** String value (for `'` and `#`) or boolean value (for `t`/`f`). */
  val: string | boolean | undefined;
  /** Index of the current token's first character. */
  pos = 0;
  /** 1-based line of the current token. */
  line = 1;
  /** Index where the current line starts. */
  linePos = 0;
  private cursor = 0;

  constructor(
    source: string,
    readonly file: string,
    readonly parent: SourceInfo | undefined,
  ) {
    this.src = source.endsWith("\n") ? source : `${source}\n`;
  }

  /** Location of the current token's line, without a column (what QEMU reports for semantic errors). */
  lineInfo(): SourceInfo {
    return new SourceInfo(this.file, this.line, undefined, this.parent);
  }

  /** Location of the current token, with its column. */
  tokenInfo(): SourceInfo {
    return new SourceInfo(this.file, this.line, this.column(), this.parent);
  }

  /**
   * 1-based column of the current token. Uses QEMU's own tab formula, `(col + 7) % 8 + 1`, so
   * that columns agree with QEMU's messages even on lines with tabs.
   */
  column(): number {
    let col = 1;
    for (let i = this.linePos; i < this.pos; i++) {
      col = this.src.charCodeAt(i) === TAB ? ((col + 7) % 8) + 1 : col + 1;
    }
    return col;
  }

  /** A syntax error at the current token: always carries line and column. */
  error(message: string): SchemaError {
    return new SchemaError(this.tokenInfo(), message);
  }

  /**
   * Advances to the next token. Comments are skipped unless `keepComments` is set; a comment
   * starting with `##` (a doc block delimiter) is always returned.
   */
  next(keepComments = false): void {
    const src = this.src;
    for (;;) {
      const pos = this.cursor;
      const code = src.charCodeAt(pos);
      this.pos = pos;
      this.cursor = pos + 1;
      this.val = undefined;
      if (code === SPACE) continue; // by far the most common character: skip it first
      if (code === HASH) {
        const end = src.indexOf("\n", this.cursor);
        this.cursor = end;
        if (keepComments || src.charCodeAt(pos + 1) === HASH) {
          this.tok = "#";
          this.val = src.slice(pos, end);
          return;
        }
      } else if (code === NEWLINE) {
        if (this.cursor === src.length) {
          this.tok = null;
          return;
        }
        this.line++;
        this.linePos = this.cursor;
      } else if (code === QUOTE) {
        this.tok = "'";
        this.val = this.readString();
        return;
      } else {
        const ch = src[pos] as string;
        if (STRUCTURAL.has(ch)) {
          this.tok = ch as TokenKind;
          return;
        }
        if (src.startsWith("true", pos)) {
          this.tok = "t";
          this.val = true;
          this.cursor = pos + 4;
          return;
        }
        if (src.startsWith("false", pos)) {
          this.tok = "f";
          this.val = false;
          this.cursor = pos + 5;
          return;
        }
        if (!isSpace(ch)) throw this.error(`stray '${strayWord(src, pos)}'`);
      }
    }
  }

  /** Reads a string body after its opening quote; only printable ASCII and the `\\` escape. */
  private readString(): string {
    const src = this.src;
    let out = "";
    let start = this.cursor;
    for (let i = this.cursor; ; i++) {
      const code = src.charCodeAt(i);
      if (code === QUOTE) {
        this.cursor = i + 1;
        return out + src.slice(start, i);
      }
      if (code === NEWLINE) throw this.error('missing terminating "\'"');
      if (code === BACKSLASH) {
        const escaped = src.charCodeAt(i + 1);
        if (escaped === NEWLINE) throw this.error('missing terminating "\'"');
        if (escaped !== BACKSLASH) throw this.error(`unknown escape \\${charAt(src, i + 1)}`);
        out += src.slice(start, i + 1);
        i++;
        start = i + 1;
      } else if (code < 32 || code >= 127) {
        throw this.error("funny character in string");
      }
    }
  }
}

/** Python's `str.isspace()` for one character (the lexer skips exactly what QEMU skips). */
function isSpace(ch: string): boolean {
  const code = ch.charCodeAt(0);
  if (code < 128) return (code >= 9 && code <= 13) || (code >= 28 && code <= 32);
  return UNICODE_SPACE.test(ch);
}

/** Non-ASCII characters Python counts as whitespace (JavaScript's `\s` differs: it has U+FEFF, lacks U+0085). */
const UNICODE_SPACE = /^[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

function strayWord(src: string, pos: number): string {
  STRAY_WORD.lastIndex = pos;
  const match = STRAY_WORD.exec(src);
  // Unreachable for a non-space character; kept total for the type checker.
  return match ? match[0] : (src[pos] as string);
}

/** The whole code point at `i` (an astral character is two UTF-16 units). */
function charAt(src: string, i: number): string {
  return String.fromCodePoint(src.codePointAt(i) ?? 0);
}

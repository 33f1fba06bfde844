/**
 * Decodes the bytes of one string token the way QEMU's QMP parser does: QEMU's escape set
 * (including `\'`), surrogate pairs, and strict UTF-8 that rejects overlong forms, surrogates
 * and noncharacters. Failures carry QEMU's wording (without the "JSON parse error, " prefix).
 */

export type Decoded = { ok: true; text: string } | { ok: false; message: string };

const SIMPLE_ESCAPES: Record<number, string> = {
  34: '"',
  39: "'",
  92: "\\",
  47: "/",
  98: "\b",
  102: "\f",
  110: "\n",
  114: "\r",
  116: "\t",
};

/** Code points QEMU refuses: beyond Unicode, surrogates, and the noncharacters. */
export function isValidCodePoint(cp: number): boolean {
  if (cp < 0 || cp > 0x10ffff) return false;
  if (cp >= 0xd800 && cp <= 0xdfff) return false;
  if (cp >= 0xfdd0 && cp <= 0xfdef) return false;
  return (cp & 0xfffe) !== 0xfffe;
}

function hex4(bytes: Buffer, at: number): number {
  if (at + 4 > bytes.length) return -1;
  const text = bytes.toString("latin1", at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(text) ? Number.parseInt(text, 16) : -1;
}

/** One raw UTF-8 sequence at `at`; the C0 80 form of NUL is accepted, as in modified UTF-8. */
function utf8At(bytes: Buffer, at: number, end: number): { cp: number; next: number } {
  const lead = bytes[at] as number;
  if (lead < 0x80) return { cp: lead, next: at + 1 };
  if (lead >= 0xfe || (lead & 0x40) === 0) return { cp: -1, next: at + 1 };
  const length = lead >= 0xfc ? 6 : lead >= 0xf8 ? 5 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  let cp = lead & (0xff >> (length + 1));
  for (let i = 1; i < length; i++) {
    const byte = at + i < end ? (bytes[at + i] as number) : 0;
    if ((byte & 0xc0) !== 0x80) return { cp: -1, next: at + i };
    cp = cp * 64 + (byte & 0x3f);
  }
  const minimum = [0x80, 0x800, 0x10000, 0x200000, 0x4000000][length - 2] as number;
  const overlong = cp < minimum && !(cp === 0 && length === 2);
  return { cp: !isValidCodePoint(cp) || overlong ? -1 : cp, next: at + length };
}

/** `\uXXXX`, possibly followed by the low half of a surrogate pair. */
function unicodeEscape(bytes: Buffer, at: number): { cp: number; next: number } {
  let cp = hex4(bytes, at + 2);
  let next = Math.min(at + 6, bytes.length - 1);
  if (cp >= 0xd800 && cp <= 0xdbff && bytes[next] === 0x5c && bytes[next + 1] === 0x75) {
    const low = hex4(bytes, next + 2);
    if (low >= 0xdc00 && low <= 0xdfff) {
      cp = 0x10000 + ((cp & 0x3ff) << 10) + (low & 0x3ff);
      next += 6;
    } else cp = -1;
  }
  return { cp, next };
}

export function decodeStringToken(bytes: Buffer): Decoded {
  const end = bytes.length - 1; // the closing quote
  let text = "";
  let at = 1;
  while (at < end) {
    const byte = bytes[at] as number;
    if (byte >= 0x20 && byte < 0x80 && byte !== 0x5c) {
      // Plain ASCII needs no checks: copy the whole run at once.
      let runEnd = at + 1;
      while (runEnd < end) {
        const next = bytes[runEnd] as number;
        if (next < 0x20 || next >= 0x80 || next === 0x5c) break;
        runEnd++;
      }
      text += bytes.toString("latin1", at, runEnd);
      at = runEnd;
      continue;
    }
    if (byte === 0x5c) {
      const kind = bytes[at + 1] as number;
      const simple = SIMPLE_ESCAPES[kind];
      if (simple !== undefined) {
        text += simple;
        at += 2;
        continue;
      }
      if (kind !== 0x75) return { ok: false, message: "invalid escape sequence in string" };
      const { cp, next } = unicodeEscape(bytes, at);
      if (!isValidCodePoint(cp)) {
        // QEMU shows six bytes from the backslash, the closing quote included when the
        // escape runs into it (`\u12"`).
        const shown = bytes.toString("latin1", at, next < at + 6 ? Math.min(at + 6, bytes.length) : next);
        return { ok: false, message: `${shown} is not a valid Unicode character` };
      }
      text += String.fromCodePoint(cp);
      at = next;
      continue;
    }
    const { cp, next } = utf8At(bytes, at, end);
    if (cp < 0) return { ok: false, message: "invalid UTF-8 sequence in string" };
    text += String.fromCodePoint(cp);
    at = next;
  }
  return { ok: true, text };
}

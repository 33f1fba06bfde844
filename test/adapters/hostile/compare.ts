/**
 * Test-only: how two servers' replies to one hostile input compare. A reply line is reduced to
 * its kind (`return`, or the error class) for the class comparison; the exact comparison is on
 * the text, with long runs of one character folded so 10 MB echoes stay printable.
 */

/** Runs of 64 or more of one character become `c×N` (a linear scan: a regex overflows on 10 MB). */
export function fold(line: string): string {
  let out = "";
  let at = 0;
  while (at < line.length) {
    let end = at + 1;
    while (end < line.length && line[end] === line[at]) end++;
    out += end - at >= 64 ? `${line[at]}×${end - at}` : line.slice(at, end);
    at = end;
  }
  return out;
}

export function kindOf(line: string): string {
  try {
    const value = JSON.parse(line) as { error?: { class?: string }; return?: unknown; event?: string };
    if (value.error) return `error ${value.error.class}`;
    if ("return" in value) return "return";
    if (value.event) return `event ${value.event}`;
  } catch {
    // Not JSON at all: the kind is the text.
  }
  return `other ${fold(line).slice(0, 80)}`;
}

export interface Verdict {
  sameClass: boolean;
  sameText: boolean;
}

export function compareReplies(qemu: readonly string[], proxy: readonly string[]): Verdict {
  const kinds = (lines: readonly string[]) => JSON.stringify(lines.map(kindOf));
  const texts = (lines: readonly string[]) => JSON.stringify(lines.map(fold));
  return { sameClass: kinds(qemu) === kinds(proxy), sameText: texts(qemu) === texts(proxy) };
}

/**
 * QEMU refusals a proxy must never provoke upstream: they mean it forwarded something it
 * should have answered itself (framing, request shape, unknown command, OOB, argument shape).
 * Refusals QEMU makes while running a well-formed command ("Job not found", a range check
 * inside the command) are QEMU's to make.
 */
const FORBIDDEN = [
  /^JSON /,
  /^QMP input/,
  /has not been found$/,
  /does not support OOB$/,
  /^Expecting capabilities negotiation/,
  /^Parameter '.*' is (unexpected|missing)$/,
  /^Invalid parameter type for/,
  /^Parameter '.*' does not accept value/,
  // The visitor's "expects uint64"; not a command's own range check ("expects an integer in
  // the range of 0 to (2000 * 1000) ms" from migrate-set-parameters), which is QEMU's to make.
  /^Parameter '[^']*' expects (?!an integer in the range)/,
];

export function isForbiddenUpstreamError(desc: string): boolean {
  return FORBIDDEN.some((re) => re.test(desc));
}

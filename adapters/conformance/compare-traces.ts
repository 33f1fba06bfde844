/**
 * Expected against observed, line by line. An expected line may offer alternatives separated by
 * " || " where QEMU itself gives either (a race the scenario documents); anything else must be
 * equal. The result keeps both sides for the report's side-by-side view.
 */

export interface TraceSection {
  /** e.g. "source events", "destination replies". */
  title: string;
  expected: string[];
  observed: string[];
}

export interface Mismatch {
  title: string;
  /** First line (0-based) where the two differ. */
  at: number;
}

export const ALTERNATIVES = " || ";

export function lineMatches(expected: string | undefined, observed: string | undefined): boolean {
  if (expected === undefined || observed === undefined) return expected === observed;
  return expected.split(ALTERNATIVES).includes(observed);
}

export function firstMismatch(section: TraceSection): Mismatch | undefined {
  const length = Math.max(section.expected.length, section.observed.length);
  for (let i = 0; i < length; i++)
    if (!lineMatches(section.expected[i], section.observed[i])) return { title: section.title, at: i };
  return undefined;
}

/** Two columns, expected left, observed right; differing lines are marked with "≠". */
export function sideBySide(section: TraceSection, width = 60): string[] {
  const rows = Math.max(section.expected.length, section.observed.length);
  const cut = (text: string) => (text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width));
  const lines = [`  ${section.title}`, `    ${cut("expected")}   observed`];
  for (let i = 0; i < rows; i++) {
    const e = section.expected[i];
    const o = section.observed[i];
    const mark = lineMatches(e, o) ? " " : "≠";
    lines.push(`  ${mark} ${cut(e ?? "—")} ${mark} ${o ?? "—"}`);
  }
  return lines;
}

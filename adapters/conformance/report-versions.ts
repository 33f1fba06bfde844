/**
 * One report for runs of the catalogue against several QEMU binaries (`--qemu A --qemu B`): a
 * table with a column per version, then each version's failures as its own report shows them.
 */
import { jsonReport } from "./report-json.ts";
import { cell } from "./report-md.ts";
import { textReport } from "./report-text.ts";
import type { ConformanceReport } from "./result.ts";

type Status = ConformanceReport["scenarios"][number]["status"];
const TEXT_MARK: Record<Status, string> = { pass: "pass", fail: "FAIL", skip: "skip" };
const MD_MARK: Record<Status, string> = { pass: "✅", fail: "❌", skip: "⏭️" };

/** "7.2.x": the column title of a run. */
export function versionTitle(report: ConformanceReport): string {
  const v = report.qemu.version.qemu as { major?: number; minor?: number; micro?: number } | undefined;
  return v ? `${v.major}.${v.minor}.${v.micro}` : report.qemu.binary;
}

/** Every scenario name, in the order the runs met them (the catalogue's order). */
function names(reports: readonly ConformanceReport[]): string[] {
  return [...new Set(reports.flatMap((r) => r.scenarios.map((s) => s.name)))];
}

function statusIn(report: ConformanceReport, name: string): Status | undefined {
  return report.scenarios.find((s) => s.name === name)?.status;
}

const totals = (r: ConformanceReport) => `${r.passed}/${r.failed}/${r.skipped}`;

export function textVersionsReport(reports: readonly ConformanceReport[]): string {
  const titles = reports.map(versionTitle);
  const width = Math.max(...names(reports).map((n) => n.length), 10);
  const widths = titles.map((t) => Math.max(t.length, 8));
  const row = (first: string, cells: string[]) =>
    `${first.padEnd(width)}  ${cells.map((c, i) => c.padEnd(widths[i] ?? 8)).join("  ")}`.trimEnd();
  const lines = ["jobshim conformance on several QEMU versions", "", row("scenario", titles)];
  for (const name of names(reports))
    lines.push(
      row(
        name,
        reports.map((r) => TEXT_MARK[statusIn(r, name) ?? "skip"]),
      ),
    );
  lines.push(row("passed/failed/skipped", reports.map(totals)));
  for (const report of reports.filter((r) => r.failed > 0))
    lines.push("", `---- ${versionTitle(report)}`, textReport(report).trimEnd());
  return `${lines.join("\n")}\n`;
}

export function markdownVersionsReport(reports: readonly ConformanceReport[]): string {
  const titles = reports.map(versionTitle);
  const lines = [
    "# jobshim conformance",
    "",
    `| Scenario | ${titles.map(cell).join(" | ")} |`,
    `| --- | ${titles.map(() => ":---:").join(" | ")} |`,
    ...names(reports).map(
      (name) =>
        `| \`${cell(name)}\` | ${reports.map((r) => MD_MARK[statusIn(r, name) ?? "skip"]).join(" | ")} |`,
    ),
    `| passed/failed/skipped | ${reports.map(totals).join(" | ")} |`,
  ];
  return `${lines.join("\n")}\n`;
}

/** `{versions: [one report per binary, as --report json gives it]}`. */
export function jsonVersionsReport(reports: readonly ConformanceReport[]): string {
  const versions = reports.map((r) => JSON.parse(jsonReport(r)) as unknown);
  return `${JSON.stringify({ versions }, null, 2)}\n`;
}

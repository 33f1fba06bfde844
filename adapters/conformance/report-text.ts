/**
 * The report for a terminal: one line per scenario, then every failure with its expected and
 * observed traces side by side, then the totals.
 */
import { sideBySide } from "./compare-traces.ts";
import { qemuLabel, seconds } from "./report-format.ts";
import type { ConformanceReport, ScenarioResult } from "./result.ts";

export function textReport(report: ConformanceReport): string {
  const lines = [`jobshim conformance: ${qemuLabel(report.qemu)}`, ""];
  const width = Math.max(...report.scenarios.map((s) => s.name.length), 10);
  for (const s of report.scenarios)
    lines.push(
      `${s.status.toUpperCase().padEnd(4)}  ${s.name.padEnd(width)}  ${seconds(s.durationMs).padStart(7)}  [${s.tags.join(", ")}]`,
    );
  for (const s of report.scenarios.filter((r) => r.status !== "pass")) lines.push("", ...details(s));
  lines.push(
    "",
    `${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped (${report.scenarios.length} scenarios, ${seconds(report.durationMs)})`,
  );
  return `${lines.join("\n")}\n`;
}

function details(s: ScenarioResult): string[] {
  const lines = [`${s.status.toUpperCase()} ${s.name} (${s.facade}): ${s.reason ?? ""}`, `  ${s.doc}`];
  for (const section of s.sections ?? []) lines.push(...sideBySide(section));
  return lines;
}

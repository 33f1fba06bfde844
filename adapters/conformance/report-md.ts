/**
 * Markdown for a pull request or a wiki: a heading with the binary, a table of every scenario
 * (name, tags, result, duration), and below it each failure with its traces side by side in a
 * code block (a table cell cannot hold them readably).
 */
import { sideBySide } from "./compare-traces.ts";
import { qemuLabel, seconds } from "./report-format.ts";
import type { ConformanceReport } from "./result.ts";

const MARK = { pass: "✅ pass", fail: "❌ fail", skip: "⏭️ skip" } as const;

export function markdownReport(report: ConformanceReport): string {
  const lines = [
    "# jobshim conformance",
    "",
    `${cell(qemuLabel(report.qemu))}: **${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped** of ${report.scenarios.length} scenarios in ${seconds(report.durationMs)}.`,
    "",
    "| Scenario | Tags | Result | Duration | Notes |",
    "| --- | --- | --- | ---: | --- |",
    ...report.scenarios.map(
      (s) =>
        `| \`${cell(s.name)}\` | ${cell(s.tags.join(", "))} | ${MARK[s.status]} | ${seconds(s.durationMs)} | ${cell(s.reason ?? "")} |`,
    ),
  ];
  for (const s of report.scenarios.filter((r) => r.status === "fail")) {
    lines.push("", `## ❌ \`${s.name}\``, "", cell(s.doc), "", `${s.reason ?? ""}`);
    if (s.sections && s.sections.length > 0)
      lines.push("", "```text", ...s.sections.flatMap((section) => sideBySide(section)), "```");
  }
  return `${lines.join("\n")}\n`;
}

/** A table cell is one line, and `|` would end it. */
export function cell(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

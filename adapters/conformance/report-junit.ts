/**
 * JUnit XML, as CI systems (GitLab, Jenkins, GitHub reporters) read it: one <testsuite> per API
 * (jobs, verbs, legacy), one <testcase> per scenario with its time in seconds, <failure> with the
 * reason as message and the side-by-side traces as text, <skipped> with its reason. Tags go into
 * <properties>, the element JUnit has for them.
 */
import { sideBySide } from "./compare-traces.ts";
import { qemuLabel } from "./report-format.ts";
import type { ConformanceReport, ScenarioResult } from "./result.ts";

export function junitReport(report: ConformanceReport): string {
  const suites = new Map<string, ScenarioResult[]>();
  for (const s of report.scenarios) {
    const suite = s.name.split("/")[0] ?? s.name;
    suites.set(suite, [...(suites.get(suite) ?? []), s]);
  }
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="jobshim conformance" tests="${report.scenarios.length}" failures="${report.failed}" skipped="${report.skipped}" errors="0" time="${secs(report.durationMs)}">`,
  ];
  for (const [name, scenarios] of suites) lines.push(...suite(name, scenarios, report));
  lines.push("</testsuites>");
  return `${lines.join("\n")}\n`;
}

function suite(name: string, scenarios: ScenarioResult[], report: ConformanceReport): string[] {
  const count = (status: string) => scenarios.filter((s) => s.status === status).length;
  const time = scenarios.reduce((sum, s) => sum + s.durationMs, 0);
  return [
    `  <testsuite name="${attr(name)}" tests="${scenarios.length}" failures="${count("fail")}" skipped="${count("skip")}" errors="0" time="${secs(time)}">`,
    "    <properties>",
    `      <property name="qemu" value="${attr(qemuLabel(report.qemu))}"/>`,
    "    </properties>",
    ...scenarios.flatMap(testcase),
    "  </testsuite>",
  ];
}

function testcase(s: ScenarioResult): string[] {
  const open = `    <testcase name="${attr(s.name)}" classname="jobshim.conformance.${attr(s.name.split("/")[0] ?? "")}" time="${secs(s.durationMs)}">`;
  const body = [
    "      <properties>",
    `        <property name="tags" value="${attr(s.tags.join(","))}"/>`,
    `        <property name="facade" value="${attr(s.facade)}"/>`,
    "      </properties>",
  ];
  if (s.status === "fail") {
    const traces = (s.sections ?? []).flatMap((section) => sideBySide(section)).join("\n");
    body.push(
      `      <failure message="${attr(s.reason ?? "failed")}" type="TraceMismatch">${text(`${s.doc}\n${traces}`)}</failure>`,
    );
  }
  if (s.status === "skip") body.push(`      <skipped message="${attr(s.reason ?? "skipped")}"/>`);
  return [open, ...body, "    </testcase>"];
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

/** XML 1.0 cannot carry most control characters at all, even escaped: they are dropped. */
const clean = (value: string) =>
  [...value].filter((c) => c >= " " || c === "\n" || c === "\r" || c === "\t").join("");

export const text = (value: string): string =>
  clean(value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export const attr = (value: string): string =>
  text(value).replace(/"/g, "&quot;").replace(/\n/g, "&#10;").replace(/\t/g, "&#9;");

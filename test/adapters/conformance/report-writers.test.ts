import { parse } from "junit2json";
import { describe, expect, it } from "vitest";
import { jsonReport } from "../../../adapters/conformance/report-json.ts";
import { junitReport } from "../../../adapters/conformance/report-junit.ts";
import { cell, markdownReport } from "../../../adapters/conformance/report-md.ts";
import { textReport } from "../../../adapters/conformance/report-text.ts";
import {
  jsonVersionsReport,
  markdownVersionsReport,
  textVersionsReport,
} from "../../../adapters/conformance/report-versions.ts";
import { sampleReport } from "./sample-report.ts";

describe("text report", () => {
  const text = textReport(sampleReport());
  it("has one line per scenario with status, name, duration and tags, then the totals", () => {
    expect(text).toMatch(/^PASS {2}jobs\/cancel-in-active +0\.8 s {2}\[cancel, precopy\]$/m);
    expect(text).toMatch(/^FAIL {2}verbs\/a\|b <&> +1\.5 s/m);
    expect(text).toMatch(/^SKIP {2}jobs\/unknown-status-held/m);
    expect(text.trimEnd().split("\n").at(-1)).toBe("1 passed, 1 failed, 1 skipped (3 scenarios, 2.4 s)");
  });
  it("shows a failure's expected and observed lines side by side, the differing one marked", () => {
    const row = text.split("\n").find((l) => l.includes("≠"));
    expect(row).toMatch(
      /^ {2}≠ error job-pause GenericError: Job 'm0' in state 'running' c… ≠ ok job-pause$/,
    );
    expect(text).toContain("    ok job-migrate");
  });
});

describe("JSON report", () => {
  const document = JSON.parse(jsonReport(sampleReport()));
  it("has issue 6's shape: qemu version, scenarios with name/tags/status/reason, totals", () => {
    expect(document.qemu).toMatchObject({
      qemu: { major: 7, minor: 2, micro: 22 },
      package: "Debian 1:7.2+dfsg-7",
    });
    expect(document.scenarios.map((s: { status: string }) => s.status)).toEqual(["pass", "fail", "skip"]);
    expect(document.scenarios[0]).not.toHaveProperty("reason");
    expect(document.scenarios[1]).toMatchObject({
      name: "verbs/a|b <&>",
      tags: ["verbs", "x|y"],
      reason: "source replies differ from line 2",
    });
    expect(document.scenarios[1].traces[0].observed).toEqual(["ok job-migrate", "ok job-pause"]);
    expect([document.passed, document.failed, document.skipped]).toEqual([1, 1, 1]);
  });
});

describe("markdown report", () => {
  const md = markdownReport(sampleReport());
  const tableRows = md.split("\n").filter((l) => l.startsWith("|"));
  it("renders a table: header, separator, one row per scenario, each with the header's column count", () => {
    expect(tableRows[0]).toBe("| Scenario | Tags | Result | Duration | Notes |");
    expect(tableRows[1]).toBe("| --- | --- | --- | ---: | --- |");
    expect(tableRows).toHaveLength(2 + 3);
    // Unescaped pipes would split cells: count only pipes not preceded by a backslash.
    for (const row of tableRows) expect(row.match(/(?<!\\)\|/g)).toHaveLength(6);
    expect(tableRows[3]).toContain("`verbs/a\\|b <&>`");
    expect(tableRows[3]).toContain("❌ fail");
  });
  it("lists each failure below the table with its traces in a code block", () => {
    expect(md).toContain("## ❌ `verbs/a|b <&>`");
    const block = md.slice(md.indexOf("```text"), md.lastIndexOf("```"));
    expect(block).toContain("≠ ok job-pause");
  });
  it("keeps a cell on one line and escapes its pipes", () => {
    expect(cell("a|b\nc")).toBe("a\\|b c");
  });
});

describe("JUnit report", () => {
  it("is accepted by a JUnit parser (junit2json) with the right suites, cases, failure and skip", async () => {
    const parsed = await parse(junitReport(sampleReport()));
    expect(parsed).toMatchObject({ name: "jobshim conformance", tests: 3, failures: 1, skipped: 1 });
    const suites = (parsed as { testsuite: { name: string; testcase: Record<string, unknown>[] }[] })
      .testsuite;
    expect(suites.map((s) => s.name)).toEqual(["jobs", "verbs"]);
    const cases = suites.flatMap((s) => s.testcase);
    expect(cases.map((c) => c.name)).toEqual([
      "jobs/cancel-in-active",
      "jobs/unknown-status-held",
      "verbs/a|b <&>",
    ]);
    const failed = cases.find((c) => c.name === "verbs/a|b <&>") as {
      time: number;
      failure: { message: string; inner: string }[];
    };
    expect(failed.time).toBe(1.5);
    expect(failed.failure[0]?.message).toBe("source replies differ from line 2");
    expect(failed.failure[0]?.inner).toContain('Refusals with "quotes" & <angle> brackets.');
    expect(failed.failure[0]?.inner).toContain("≠ ok job-pause");
    const skipped = cases.find((c) => c.name === "jobs/unknown-status-held") as {
      skipped: { message: string }[];
    };
    expect(skipped.skipped[0]?.message).toBe("needs the facade's scripted upstream");
  });
  it("drops characters XML 1.0 cannot carry instead of writing a document parsers reject", async () => {
    const report = sampleReport();
    const [first] = report.scenarios;
    if (first) first.name = "bell\u0007name";
    const parsed = (await parse(junitReport(report))) as { testsuite: { testcase: { name: string }[] }[] };
    expect(parsed.testsuite[0]?.testcase[0]?.name).toBe("bellname");
  });
});

describe("report over several QEMU versions", () => {
  const older = sampleReport();
  const newer = sampleReport();
  newer.qemu = { ...newer.qemu, version: { qemu: { major: 10, minor: 0, micro: 2 }, package: "" } };
  newer.scenarios = newer.scenarios.map((s) => ({ ...s, status: "pass" as const }));
  newer.passed = newer.scenarios.length;
  newer.failed = 0;
  newer.skipped = 0;
  it("has a column per version, one row per scenario, the totals, then each failing version's details", () => {
    const text = textVersionsReport([older, newer]);
    const header = text.split("\n").find((l) => l.startsWith("scenario"));
    expect(header).toMatch(/^scenario +\S+ +10\.0\.2$/);
    expect(text).toMatch(/^verbs\/a\|b <&> +FAIL +pass$/m);
    expect(text).toMatch(/^jobs\/unknown-status-held +skip +pass$/m);
    expect(text).toMatch(/^passed\/failed\/skipped +1\/1\/1 +3\/0\/0$/m);
    expect(text.match(/^---- /gm)).toHaveLength(1);
    expect(text).toContain("≠ ok job-pause");
  });
  it("gives markdown a column per version and JSON one report per version", () => {
    expect(markdownVersionsReport([older, newer])).toMatch(/^\| `verbs\/a\\\|b <&>` \| ❌ \| ✅ \|$/m);
    const json = JSON.parse(jsonVersionsReport([older, newer]));
    expect(json.versions.map((v: { passed: number }) => v.passed)).toEqual([1, 3]);
  });
});

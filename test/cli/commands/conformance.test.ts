/**
 * `jobshim conformance` end to end on every real QEMU installed (7.2 and 10.0, see
 * test/helpers/qemu-binaries.ts): the whole catalogue once per version (JSON report, all green,
 * none skipped, progress on stderr), and a deliberately broken QEMU (a wrapper that drops
 * `-incoming defer`, so no destination can listen) to show a failure's exit code and its
 * expected and observed traces. Takes several minutes per version: scenarios run one after another.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findQemuBinary } from "../../../adapters/qemu-pair.ts";
import { migrationSkipReason } from "../../helpers/migration-pair.ts";
import { qemuBinaries } from "../../helpers/qemu-binaries.ts";
import { runJobshim } from "../run-jobshim.ts";

const skip = migrationSkipReason();
if (skip) console.warn(`\n*** ${skip} ***\n`);

const dir = mkdtempSync(path.join(tmpdir(), "jobshim-conformance-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("jobshim conformance: usage errors", () => {
  it("refuses an unknown report format or facade, and a selection that matches nothing", () => {
    const format = runJobshim(["conformance", "--report", "xml", "--qemu", "/bin/true"]);
    expect(format.status).toBe(1);
    expect(format.stderr).toContain("--report must be one of text, json, junit, md, not 'xml'");
    const facade = runJobshim(["conformance", "--facade", "mirror", "--qemu", "/bin/true"]);
    expect(facade.stderr).toContain("--facade must be one of jobs, legacy, both");
    const listed = runJobshim(["conformance", "--list", "--only", "postcopy"]);
    expect(listed.status).toBe(0);
    expect(listed.stdout).toContain("jobs/postcopy-pause-recover  [postcopy, recovery]");
  });
});

const versions = skip === undefined ? qemuBinaries() : [];

describe.each(versions.map((qemu) => [qemu.version, qemu] as const))(
  "jobshim conformance on QEMU %s",
  (_, qemu) => {
    it("runs the whole catalogue: every scenario passes, none skipped, JSON report, exit 0", {
      timeout: 900_000,
    }, () => {
      const run = runJobshim(["conformance", "--qemu", qemu.binary, "--report", "json"]);
      const report = JSON.parse(run.stdout);
      const failures = report.scenarios.filter((s: { status: string }) => s.status !== "pass");
      expect(failures).toEqual([]);
      expect(run.status).toBe(0);
      expect(report.scenarios.length).toBeGreaterThanOrEqual(40);
      expect([report.failed, report.skipped, report.passed]).toEqual([0, 0, report.scenarios.length]);
      expect(report.qemu).toMatchObject({
        qemu: { major: qemu.major, minor: qemu.minor },
        nativeMigrationJob: false,
      });
      for (const s of report.scenarios)
        expect(Object.keys(s)).toEqual(expect.arrayContaining(["name", "tags", "status"]));
      // Progress: a header, then one line per scenario as it finishes.
      const progress = run.stderr.split("\n").filter((l) => /^\[\d+\/\d+\] pass /.test(l));
      expect(progress).toHaveLength(report.scenarios.length);
      console.log(
        `conformance on ${qemu.version}: ${report.passed} scenarios passed in ${(report.durationMs / 1000).toFixed(1)} s`,
      );
    });
  },
);

describe.skipIf(skip !== undefined)("jobshim conformance on a broken QEMU", () => {
  it("fails with exit 1 and shows expected against observed when the QEMU misbehaves", {
    timeout: 120_000,
  }, () => {
    // A QEMU whose destination cannot listen: '-incoming defer' is dropped on the way.
    const broken = path.join(dir, "qemu-without-incoming");
    writeFileSync(
      broken,
      [
        "#!/bin/bash",
        "args=(); skip=0",
        'for a in "$@"; do',
        '  if [ "$skip" = 1 ]; then skip=0; continue; fi',
        '  if [ "$a" = "-incoming" ]; then skip=1; continue; fi',
        '  args+=("$a")',
        "done",
        `exec ${findQemuBinary()} "\${args[@]}"`,
        "",
      ].join("\n"),
    );
    chmodSync(broken, 0o755);
    const run = runJobshim([
      "conformance",
      "--qemu",
      broken,
      "--facade",
      "jobs",
      "--only",
      "jobs/cancel-in-none",
    ]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/\[1\/1\] fail jobs\/cancel-in-none/);
    expect(run.stdout).toMatch(/^FAIL {2}jobs\/cancel-in-none/m);
    expect(run.stdout).toContain("destination replies");
    expect(run.stdout).toMatch(/≠ ok job-migrate-incoming\s+≠ error job-migrate-incoming GenericError/);
    expect(run.stdout).toContain("0 passed, 1 failed, 0 skipped");
  });
});

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

/**
 * Scenarios whose comparison is not required on a version, and why (printed on every run). On
 * 10.0 QEMU itself ends a cancel sent right after migrate in two ways, as the cancel lands before
 * or after the outgoing stream exists (cancelled before the migrate_cancel reply with no
 * error-desc, or after it with error-desc 'ram_save_setup failed: Input/output error'); the two
 * proxies' hops make the facade's cancel land late nearly always, direct QEMU's early mostly.
 * The scenario still runs and its outcome is printed; decision 0007 and the closing note of issue 14.
 */
const NOT_REQUIRED: Record<string, Record<string, string>> = {
  "10.0": { "legacy/cancel-in-setup": "QEMU 10.0 itself takes one of two paths here (see above)" },
};

describe.each(versions.map((qemu) => [qemu.version, qemu] as const))(
  "jobshim conformance on QEMU %s",
  (_, qemu) => {
    it("runs the whole catalogue: every scenario passes but the waived ones, none skipped, JSON report", {
      timeout: 900_000,
    }, () => {
      const run = runJobshim(["conformance", "--qemu", qemu.binary, "--report", "json"]);
      const report = JSON.parse(run.stdout);
      const waived = NOT_REQUIRED[qemu.version] ?? {};
      for (const [name, why] of Object.entries(waived)) {
        const outcome = report.scenarios.find((s: { name: string }) => s.name === name)?.status;
        console.warn(`*** conformance on ${qemu.version}: ${name} ${outcome}, not required: ${why} ***`);
      }
      const failures = report.scenarios.filter(
        (s: { name: string; status: string }) => s.status !== "pass" && !(s.name in waived),
      );
      expect(failures).toEqual([]);
      expect(report.scenarios.length).toBeGreaterThanOrEqual(40);
      expect(report.skipped).toBe(0);
      expect(report.failed).toBeLessThanOrEqual(Object.keys(waived).length);
      expect(run.status).toBe(report.failed === 0 ? 0 : 1);
      expect(report.qemu).toMatchObject({
        qemu: { major: qemu.major, minor: qemu.minor },
        nativeMigrationJob: false,
      });
      for (const s of report.scenarios)
        expect(Object.keys(s)).toEqual(expect.arrayContaining(["name", "tags", "status"]));
      // Progress: a header, then one line per scenario as it finishes.
      const progress = run.stderr.split("\n").filter((l) => /^\[\d+\/\d+\] pass /.test(l));
      expect(progress).toHaveLength(report.passed);
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

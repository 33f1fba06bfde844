/** Test-only: a small report with one scenario of each status, and text that needs escaping. */
import type { ConformanceReport } from "../../../adapters/conformance/result.ts";

export function sampleReport(): ConformanceReport {
  return {
    qemu: {
      binary: "/usr/bin/qemu-system-x86_64",
      version: { qemu: { major: 7, minor: 2, micro: 22 }, package: "Debian 1:7.2+dfsg-7" },
      nativeMigrationJob: false,
    },
    scenarios: [
      {
        name: "jobs/cancel-in-active",
        tags: ["cancel", "precopy"],
        doc: "job-cancel while RAM is copied.",
        facade: "jobs: job facade over QEMU",
        status: "pass",
        durationMs: 812,
      },
      {
        name: "verbs/a|b <&>",
        tags: ["verbs", "x|y"],
        doc: 'Refusals with "quotes" & <angle> brackets.',
        facade: "jobs: job facade over QEMU",
        status: "fail",
        durationMs: 1500,
        reason: "source replies differ from line 2",
        sections: [
          {
            title: "source replies",
            expected: [
              "ok job-migrate",
              "error job-pause GenericError: Job 'm0' in state 'running' cannot accept command verb 'pause'",
            ],
            observed: ["ok job-migrate", "ok job-pause"],
          },
        ],
      },
      {
        name: "jobs/unknown-status-held",
        tags: ["unknown-status"],
        doc: "An unknown status.",
        facade: "jobs: QEMU's own job API",
        status: "skip",
        durationMs: 0,
        reason: "needs the facade's scripted upstream",
      },
    ],
    passed: 1,
    failed: 1,
    skipped: 1,
    durationMs: 2400,
  };
}

/**
 * The machine-readable report, in the shape issue 6 fixes: `{qemu, scenarios: [{name, tags,
 * status, reason?}], passed, failed, skipped}`; per scenario also its duration and, on failure,
 * the expected and observed traces, so a tool can render its own diff.
 */
import type { ConformanceReport } from "./result.ts";

export function jsonReport(report: ConformanceReport): string {
  const document = {
    qemu: {
      binary: report.qemu.binary,
      nativeMigrationJob: report.qemu.nativeMigrationJob,
      ...report.qemu.version,
    },
    scenarios: report.scenarios.map((s) => ({
      name: s.name,
      tags: s.tags,
      status: s.status,
      ...(s.reason === undefined ? {} : { reason: s.reason }),
      durationMs: s.durationMs,
      facade: s.facade,
      ...(s.sections && s.sections.length > 0 ? { traces: s.sections } : {}),
    })),
    passed: report.passed,
    failed: report.failed,
    skipped: report.skipped,
    durationMs: report.durationMs,
  };
  return `${JSON.stringify(document, null, 2)}\n`;
}

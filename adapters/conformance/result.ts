/** What a conformance run found, per scenario and in total: what every report writer reads. */
import type { JsonObject } from "../../src/qmp/json-value.ts";
import type { TraceSection } from "./compare-traces.ts";

export type ScenarioStatus = "pass" | "fail" | "skip";

export interface ScenarioResult {
  name: string;
  tags: string[];
  doc: string;
  /** Which API was exercised and through what: "jobs via job facade", "legacy via legacy∘jobs", … */
  facade: string;
  status: ScenarioStatus;
  durationMs: number;
  /** Why it failed or was skipped. */
  reason?: string;
  /** Expected against observed; present on failure (and empty when the run itself broke). */
  sections?: TraceSection[];
}

export interface ConformanceReport {
  qemu: { binary: string; version: JsonObject; nativeMigrationJob: boolean };
  scenarios: ScenarioResult[];
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

export function summarise(
  qemu: ConformanceReport["qemu"],
  scenarios: ScenarioResult[],
  durationMs: number,
): ConformanceReport {
  const count = (status: ScenarioStatus) => scenarios.filter((s) => s.status === status).length;
  return {
    qemu,
    scenarios,
    passed: count("pass"),
    failed: count("fail"),
    skipped: count("skip"),
    durationMs,
  };
}

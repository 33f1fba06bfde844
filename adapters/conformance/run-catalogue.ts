/**
 * Runs the catalogue against one QEMU binary, one scenario at a time (each on a fresh QEMU pair:
 * a scenario's leftovers can never decide another's result), and collects a ConformanceReport.
 * Job scenarios are compared with their written traces; legacy scenarios with QEMU's own trace
 * of the same steps. Nothing is retried: a flaky scenario is a finding.
 */
import { CATALOGUE, type CatalogueEntry, selectEntries } from "./catalogue/index.ts";
import type { JobScenario, JobSide } from "./catalogue/job-scenario.ts";
import type { LegacyScenario } from "./catalogue/legacy.ts";
import { firstMismatch, type TraceSection } from "./compare-traces.ts";
import { probeQemu } from "./probe-qemu.ts";
import { type ConformanceReport, type ScenarioResult, summarise } from "./result.ts";
import { runJobScenario } from "./run-job-scenario.ts";
import { runNormalised } from "./run-legacy-scenario.ts";
import {
  type Running,
  startJobTarget,
  startLegacyChain,
  startLegacyDirect,
  type TargetOptions,
} from "./targets.ts";

export type FacadeMode = "jobs" | "legacy" | "both";

export interface RunCatalogueOptions {
  binary: string;
  facade: FacadeMode;
  only?: readonly string[];
  /** Progress lines as the run goes (the CLI sends them to stderr). */
  progress?: (line: string) => void;
  entries?: readonly CatalogueEntry[];
}

/** Random RAM of the legacy scenarios' guest: their timings (sleeps in active) were taught on it. */
const LEGACY_FILL_MIB = 48;
const JOB_FILL_MIB = 16;

export async function runCatalogue(options: RunCatalogueOptions): Promise<ConformanceReport> {
  const started = Date.now();
  const identity = await probeQemu(options.binary);
  const target: TargetOptions = { binary: options.binary, native: identity.nativeMigrationJob };
  const entries = selectEntries(options.entries ?? CATALOGUE, options.only ?? []).filter(
    (e) => options.facade === "both" || e.api === options.facade,
  );
  if (entries.length === 0)
    throw new Error(`no scenario matches ${(options.only ?? []).join(", ") || "the facade"}`);
  const say = options.progress ?? (() => undefined);
  say(`${describe(identity.version)} at ${options.binary}: ${entries.length} scenarios`);
  const results: ScenarioResult[] = [];
  for (const [index, entry] of entries.entries()) {
    const result = await runEntry(entry, target);
    results.push(result);
    const tail = result.status === "pass" ? "" : ` — ${result.reason ?? ""}`;
    say(
      `[${index + 1}/${entries.length}] ${result.status} ${entry.name} (${seconds(result.durationMs)})${tail}`,
    );
  }
  const qemu = {
    binary: options.binary,
    version: identity.version,
    nativeMigrationJob: identity.nativeMigrationJob,
  };
  return summarise(qemu, results, Date.now() - started);
}

async function runEntry(entry: CatalogueEntry, target: TargetOptions): Promise<ScenarioResult> {
  const base = {
    name: entry.name,
    tags: entry.scenario.tags,
    doc: entry.scenario.doc,
    facade: via(entry, target),
  };
  const started = Date.now();
  const done = (rest: Pick<ScenarioResult, "status" | "reason" | "sections">): ScenarioResult => ({
    ...base,
    ...rest,
    durationMs: Date.now() - started,
  });
  if (entry.api === "jobs" && entry.scenario.needsInjection && target.native)
    return done({
      status: "skip",
      reason: "needs the facade's scripted upstream; this QEMU is spoken to directly",
    });
  if (entry.api === "jobs" && entry.scenario.facadeOnly !== undefined && target.native)
    return done({ status: "skip", reason: entry.scenario.facadeOnly });
  if (entry.api === "jobs" && Object.keys(entry.scenario.expect).length === 0)
    return done({ status: "fail", reason: "the scenario declares no expected trace", sections: [] });
  try {
    const { sections, error } =
      entry.api === "jobs"
        ? await jobSections(entry.scenario, target)
        : { sections: await legacySections(entry.scenario, target), error: undefined };
    const mismatch = sections.map(firstMismatch).find((m) => m !== undefined);
    if (error !== undefined) return done({ status: "fail", reason: error, sections });
    if (!mismatch) return done({ status: "pass" });
    return done({
      status: "fail",
      reason: `${mismatch.title} differ from line ${mismatch.at + 1}`,
      sections,
    });
  } catch (error) {
    return done({
      status: "fail",
      reason: error instanceof Error ? error.message : String(error),
      sections: [],
    });
  }
}

function via(entry: CatalogueEntry, target: TargetOptions): string {
  if (entry.api === "jobs") return target.native ? "jobs: QEMU's own job API" : "jobs: job facade over QEMU";
  return target.native
    ? "legacy: legacy facade over QEMU's jobs, against QEMU"
    : "legacy: legacy∘jobs∘QEMU, against QEMU";
}

async function jobSections(
  scenario: JobScenario,
  target: TargetOptions,
): Promise<{ sections: TraceSection[]; error?: string }> {
  const run = await withTarget(startJobTarget(target, scenario.fillMiB ?? JOB_FILL_MIB, scenario), (t) =>
    runJobScenario(scenario, t),
  );
  const sections = (Object.keys(scenario.expect) as JobSide[]).flatMap((side) => {
    const expected = scenario.expect[side];
    const observed = run.traces[side] ?? { events: [], replies: [] };
    if (!expected) return [];
    return [
      { title: `${side} events`, expected: expected.events, observed: observed.events },
      { title: `${side} replies`, expected: expected.replies, observed: observed.replies },
    ];
  });
  return run.error === undefined ? { sections } : { sections, error: run.error };
}

async function legacySections(scenario: LegacyScenario, target: TargetOptions): Promise<TraceSection[]> {
  const direct = await withTarget(startLegacyDirect(target, LEGACY_FILL_MIB, scenario), (t) =>
    runNormalised(scenario, t),
  );
  const chained = await withTarget(startLegacyChain(target, LEGACY_FILL_MIB, scenario), (t) =>
    runNormalised(scenario, t),
  );
  const passes = (trace: typeof direct) => [
    `source ${trace.passes.source}`,
    `destination ${trace.passes.destination}`,
  ];
  return [
    { title: "source (QEMU | facade)", expected: direct.source, observed: chained.source },
    { title: "destination (QEMU | facade)", expected: direct.destination, observed: chained.destination },
    { title: "MIGRATION_PASS (QEMU | facade)", expected: passes(direct), observed: passes(chained) },
  ];
}

async function withTarget<T, R>(starting: Promise<Running<T>>, use: (target: T) => Promise<R>): Promise<R> {
  const running = await starting;
  try {
    return await use(running.target);
  } finally {
    await running.stop();
  }
}

function describe(version: Record<string, unknown>): string {
  const q = version.qemu as { major?: number; minor?: number; micro?: number } | undefined;
  const pkg = typeof version.package === "string" && version.package ? ` (${version.package})` : "";
  return q ? `QEMU ${q.major}.${q.minor}.${q.micro}${pkg}` : "QEMU (unknown version)";
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

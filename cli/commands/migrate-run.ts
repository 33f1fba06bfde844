/**
 * One `jobshim migrate` run: a job facade in this process in front of each QEMU (served on
 * private unix sockets), job-migrate-incoming on the destination, job-migrate on the source,
 * then the job followed by polling query-jobs until it concludes. Not converging is said out loud
 * with its remedies; with postcopy allowed, job-complete switches to postcopy. On abort the job
 * is cancelled, so the source keeps running; every socket and facade is closed in all cases.
 * With `--storage`, the disks are mirrored to the destination first (migrate-storage.ts) and the
 * migration switches over together with the mirrors.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { mib, ProgressLine, sampleOf } from "../../adapters/demo/progress-line.ts";
import { createJobFacadeProxy } from "../../adapters/proxy.ts";
import { QmpClient } from "../../src/qmp/client.ts";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import {
  type ConvergenceFacts,
  factsOf,
  remedies,
  stalledText,
  verdictWord,
  whyNotConverging,
} from "./migrate-advice.ts";
import {
  type MirrorView,
  mirrorPercent,
  mirrorsText,
  type StorageDisk,
  StorageMirrors,
} from "./migrate-storage.ts";

export interface MigrateOptions {
  source: string;
  dest: string;
  uri: string | undefined;
  postcopy: boolean;
  /** Disks to mirror to the destination; empty for shared storage. */
  storage?: readonly StorageDisk[];
  maxBandwidth: number | undefined;
  downtimeLimitMs: number | undefined;
  json: boolean;
  /** Redraw one line in place (a terminal) instead of printing a line per second. */
  interactive: boolean;
  /** The terminal's width now (it may be resized); the line is fitted to it. */
  columns?: () => number | undefined;
  write: (text: string) => void;
  signal: AbortSignal;
  pollMs?: number;
}

export interface MigrateOutcome {
  outcome: string;
  error: string | undefined;
}

const SOURCE_JOB = "migration";
const DEST_JOB = "incoming";

export async function runMigrate(options: MigrateOptions): Promise<MigrateOutcome> {
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-migrate-"));
  const cleanups: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  try {
    const side = async (upstream: string, name: string) => {
      const listen = `unix:${path.join(dir, `${name}.sock`)}`;
      const proxy = await createJobFacadeProxy({ upstream, listen: [listen] });
      cleanups.push(() => proxy.close());
      const client = await QmpClient.connect(listen);
      cleanups.push(() => client.close());
      return client;
    };
    const source = await side(options.source, "source");
    const destination = await side(options.dest, "destination");
    const out = new Output(options);
    let mirrors: StorageMirrors | undefined;
    if (options.storage !== undefined && options.storage.length > 0) {
      const started = await StorageMirrors.start(source, destination, options.storage, dir);
      mirrors = started;
      cleanups.push(() => started.cleanup());
      out.notice("storage", `mirroring ${options.storage.map((d) => d.node).join(", ")} to the destination`);
      await started.waitReady(options.signal, (views) => out.storage(views), options.pollMs ?? 250);
    }
    return await migrate(
      options,
      out,
      source,
      destination,
      options.uri ?? `unix:${path.join(dir, "migration.sock")}`,
      mirrors,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

async function migrate(
  options: MigrateOptions,
  out: Output,
  source: QmpClient,
  destination: QmpClient,
  uri: string,
  mirrors: StorageMirrors | undefined,
): Promise<MigrateOutcome> {
  // The verdict weighs the downtime limit: pass QEMU's current one when none was given.
  const parameters = (await source.execute("query-migrate-parameters")) as JsonObject;
  const downtimeLimit = options.downtimeLimitMs ?? Number(parameters["downtime-limit"] ?? 300);
  await destination.execute("job-migrate-incoming", { "job-id": DEST_JOB, uri, "auto-dismiss": false });
  await source.execute("job-migrate", {
    "job-id": SOURCE_JOB,
    uri,
    postcopy: options.postcopy,
    "auto-dismiss": false,
    "downtime-limit": downtimeLimit,
    ...(mirrors === undefined ? {} : { mirrors: mirrors.jobIds }),
    ...(options.maxBandwidth === undefined ? {} : { "max-bandwidth": options.maxBandwidth }),
  });
  out.notice("started", `migrating to ${uri}${options.postcopy ? " (postcopy allowed)" : ""}`);
  const started = Date.now();
  let job: JsonObject;
  try {
    job = await follow(options, source, out, mirrors);
  } catch (error) {
    if (!options.signal.aborted) throw error;
    await cancel(source, out);
    throw error;
  }
  const destJob = await concluded(destination, DEST_JOB, 10_000);
  for (const [client, id] of [
    [source, SOURCE_JOB],
    [destination, DEST_JOB],
  ] as const)
    await client.execute("job-dismiss", { id }).catch(() => undefined);
  const details = (job.details ?? {}) as JsonObject;
  const outcome = String(job.substatus);
  const error = typeof job.error === "string" ? job.error : undefined;
  out.notice("finished", summary(outcome, error, job, details, destJob, (Date.now() - started) / 1000), {
    outcome,
    ...(error === undefined ? {} : { error }),
    seconds: (Date.now() - started) / 1000,
    transferred: Number(job["current-progress"] ?? 0),
    ...(typeof details.downtime === "number" ? { downtime: details.downtime } : {}),
    "destination-status": destJob === undefined ? "unknown" : String(destJob.substatus),
  });
  return { outcome, error };
}

/** Polls the source job, shows it, speaks up about convergence, and switches to postcopy when allowed. */
async function follow(
  options: MigrateOptions,
  client: QmpClient,
  out: Output,
  mirrors: StorageMirrors | undefined,
): Promise<JsonObject> {
  let advised = false;
  let stallSaid = false;
  let completing = false;
  for (;;) {
    if (options.signal.aborted) throw options.signal.reason;
    const job = await findJob(client, SOURCE_JOB);
    if (!job) throw new Error(`job '${SOURCE_JOB}' vanished from query-jobs`);
    const facts = factsOf(job);
    out.progress(job, facts, await mirrors?.views());
    if (job.status === "concluded") return job;
    if (facts.convergence === "not-converging" && !advised) {
      advised = true;
      out.notice("not-converging", whyNotConverging(facts), {
        remedies: remedies(options.postcopy, SOURCE_JOB),
      });
    }
    if (facts.convergence === "converging" && advised && !completing) {
      advised = false;
      out.notice("converging", "converging again");
    }
    if (facts.convergence === "stalled" && !stallSaid) {
      stallSaid = true;
      out.notice("stalled", stalledText(facts));
    }
    if (advised && options.postcopy && job.status === "ready" && !completing) {
      completing = true;
      out.notice(
        "postcopy",
        `switching to postcopy: job-complete ${SOURCE_JOB} (the destination now runs the guest and pulls the pages it still lacks)`,
      );
      await client.execute("job-complete", { id: SOURCE_JOB });
    }
    await sleep(options.pollMs ?? 250, options.signal);
  }
}

async function cancel(client: QmpClient, out: Output): Promise<void> {
  try {
    await client.execute("job-cancel", { id: SOURCE_JOB });
    await concluded(client, SOURCE_JOB, 5000);
    out.notice("cancelled", "interrupted: migration cancelled, the source keeps running");
  } catch (error) {
    out.notice(
      "cancel-failed",
      `interrupted, but the migration could not be cancelled: ${(error as Error).message}`,
    );
  }
}

async function findJob(client: QmpClient, id: string): Promise<JsonObject | undefined> {
  const jobs = (await client.execute("query-jobs")) as JsonValue[];
  return jobs.find(
    (j): j is JsonObject => typeof j === "object" && j !== null && (j as JsonObject).id === id,
  );
}

async function concluded(client: QmpClient, id: string, timeoutMs: number): Promise<JsonObject | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await findJob(client, id);
    if (job === undefined || job.status === "concluded" || Date.now() > deadline) return job;
    await sleep(100);
  }
}

function summary(
  outcome: string,
  error: string | undefined,
  job: JsonObject,
  details: JsonObject,
  destJob: JsonObject | undefined,
  seconds: number,
): string {
  const passes = factsOf(job).passes;
  const downtime = typeof details.downtime === "number" ? `, downtime ${details.downtime} ms` : "";
  const dest = destJob === undefined ? "unknown" : String(destJob.substatus);
  if (outcome !== "completed")
    return `migration ${outcome}${error ? `: ${error}` : ""} (destination: ${dest})`;
  return `migration completed in ${seconds.toFixed(1)} s: ${mib(Number(job["current-progress"] ?? 0))} sent in ${passes} passes${downtime}; destination ${dest}`;
}

/** Human lines (redrawn in a terminal, else one a second) or one JSON object per line. */
class Output {
  private readonly line = new ProgressLine();
  private lastPrinted = 0;
  private drawn = false;

  constructor(private readonly options: MigrateOptions) {}

  /** While the mirrors copy, before the migration starts. */
  storage(views: readonly MirrorView[]): void {
    if (this.options.json) {
      this.json({ type: "storage", mirrors: views.map(mirrorJson) });
      return;
    }
    this.draw(mirrorsText(views), Date.now(), false);
  }

  progress(job: JsonObject, facts: ConvergenceFacts, mirrors?: readonly MirrorView[]): void {
    const sample = sampleOf(job);
    const now = Date.now();
    const percent = this.line.percent(sample);
    const rate = facts.throughput ?? this.line.rate(sample, now);
    if (this.options.json) {
      this.json({
        type: "progress",
        status: sample.status,
        substatus: sample.substatus,
        "current-progress": sample.current,
        "total-progress": sample.total,
        percent,
        throughput: Math.round(rate),
        ...(facts.dirtyRate === undefined ? {} : { "dirty-rate": facts.dirtyRate }),
        convergence: facts.convergence,
        passes: facts.passes,
        ...(facts.expectedRemainingMs === undefined ? {} : { "eta-ms": facts.expectedRemainingMs }),
        ...(mirrors === undefined ? {} : { mirrors: mirrors.map(mirrorJson) }),
      });
      return;
    }
    // At the end the last word is the outcome, not a forecast.
    const verdict = sample.status === "concluded" ? sample.substatus : verdictWord(facts);
    const disks = mirrors === undefined ? "" : `  ${mirrorsText(mirrors)}`;
    const text = this.line.render(sample, now, {
      columns: this.options.interactive ? this.options.columns?.() : undefined,
      rate,
      trailer: `${verdict}${disks}`,
    });
    this.draw(text, now, sample.status === "concluded");
  }

  /** Redrawn in place on a terminal, else a line a second (and always the last one). */
  private draw(text: string, now: number, last: boolean): void {
    if (this.options.interactive) {
      this.options.write(`\r\x1b[K${text}`);
      this.drawn = true;
    } else if (now - this.lastPrinted >= 1000 || last) {
      this.options.write(`${text}\n`);
      this.lastPrinted = now;
    }
  }

  notice(type: string, message: string, extra: JsonObject = {}): void {
    if (this.options.json) {
      this.json({ type, message, ...extra });
      return;
    }
    const prefix = this.drawn ? "\r\x1b[K" : "";
    const list = Array.isArray(extra.remedies)
      ? extra.remedies.map((r) => `\n  - ${String(r)}`).join("")
      : "";
    this.options.write(`${prefix}${message}${list}\n`);
    this.drawn = false;
  }

  private json(object: JsonObject): void {
    this.options.write(`${JSON.stringify({ time: Date.now(), ...object })}\n`);
  }
}

function mirrorJson(view: MirrorView): JsonObject {
  return {
    node: view.node,
    "job-id": view.id,
    status: view.status,
    "current-progress": view.current,
    "total-progress": view.total,
    percent: mirrorPercent(view),
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

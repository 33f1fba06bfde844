/**
 * `jobshim demo`: two real QEMUs, a job-facade proxy in front of each, and a live migration
 * driven only through the job API (job-migrate-incoming, job-migrate, job-finalize or
 * job-complete, job-dismiss, query-jobs), shown as it happens. Every process it starts is
 * stopped on success, on error and on abort (Ctrl-C).
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { startModelPair } from "../../src/model/index.ts";
import { QmpClient } from "../../src/qmp/client.ts";
import type { JsonObject } from "../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import { createJobFacadeProxy, type JobFacadeProxy } from "../proxy.ts";
import { findQemuBinary, type QemuPair, startQemuPair } from "../qemu-pair.ts";
import { mib, ProgressLine, sampleOf } from "./progress-line.ts";

export interface DemoOptions {
  fillMiB: number;
  bandwidthMiB: number;
  postcopy: boolean;
  /** Redraw the progress line in place (a terminal) instead of printing one per second. */
  interactive: boolean;
  /** The terminal's width now (it may be resized); the progress line is fitted to it. */
  columns?: () => number | undefined;
  write: (text: string) => void;
  signal: AbortSignal;
  /** Run on the embedded QEMU model (src/model) even where QEMU is installed. */
  model?: boolean;
}

export interface DemoSummary {
  outcome: string;
  error: string | undefined;
  seconds: number;
  transferred: number;
  downtimeMs: number | undefined;
  passes: number;
  sourceTrace: string[];
  destinationTrace: string[];
}

export class DemoUnavailable extends Error {}

/** The demo's guest; adapters/qemu-pair.ts loads the random image at 16 MiB into its RAM. */
export const GUEST_MIB = 128;
const IMAGE_AT_MIB = 16;
export const MAX_FILL_MIB = GUEST_MIB - IMAGE_AT_MIB;

/** Flags that cannot work are refused before anything starts. */
export function checkDemoOptions(options: Pick<DemoOptions, "fillMiB" | "model">): void {
  if (options.fillMiB > MAX_FILL_MIB)
    throw new DemoUnavailable(
      `--fill ${options.fillMiB} does not fit the ${GUEST_MIB} MiB guest: at most ${MAX_FILL_MIB} MiB (the image is loaded at ${IMAGE_AT_MIB} MiB)`,
    );
  const asked = process.env.QEMU;
  if (!options.model && asked !== undefined && asked !== "" && !existsSync(asked))
    throw new DemoUnavailable(
      `QEMU=${asked}: no such file; unset QEMU to use qemu-system-x86_64 from PATH, or pass --model for the embedded model`,
    );
}

const SOURCE_JOB = "migration";
const DEST_JOB = "incoming";

/** Two machines to migrate between: real QEMUs or the embedded model, addressed the same way. */
interface DemoPair {
  source: { qmp: string };
  destination: { qmp: string };
  migrationUri: string;
  dir: string;
  stop(): Promise<void>;
  /** Why `error` happened, when the machines know better (a QEMU died). */
  explain?(error: unknown): Promise<unknown>;
}

type Backend = { kind: "qemu"; binary: string } | { kind: "model"; why: string };

export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  checkDemoOptions(options);
  const binary = options.model ? undefined : findQemuBinary();
  const backend: Backend = binary
    ? { kind: "qemu", binary }
    : { kind: "model", why: options.model ? "--model" : "qemu-system-x86_64 not found (set QEMU=PATH)" };
  const cleanups: (() => Promise<void>)[] = [];
  try {
    return await demo(backend, options, cleanups);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

async function startPair(backend: Backend, fillMiB: number): Promise<DemoPair> {
  if (backend.kind === "qemu") return qemuDemoPair(await startQemuPair({ fillMiB, memoryMiB: GUEST_MIB }));
  const pair = await startModelPair({ fillMiB, ramMiB: GUEST_MIB });
  return {
    source: { qmp: pair.source.qmpAddress },
    destination: { qmp: pair.destination.qmpAddress },
    migrationUri: pair.migrationUri,
    dir: pair.dir,
    stop: () => pair.stop(),
  };
}

/**
 * A QEMU that dies (a bad image, a missing device) closes its monitor mid-handshake, and the
 * client can only say ECONNRESET: whatever fails while a QEMU has exited is reported with
 * QEMU's own last words instead.
 */
function qemuDemoPair(pair: QemuPair): DemoPair {
  return {
    ...pair,
    source: pair.source,
    destination: pair.destination,
    explain: (error) => qemuDeath(pair, error),
  };
}

async function qemuDeath(pair: QemuPair, error: unknown): Promise<unknown> {
  const vms = [pair.source, pair.destination];
  await Promise.race([Promise.any(vms.map((vm) => vm.exited)), new Promise((r) => setTimeout(r, 500))]);
  const dead = vms.find((vm) => vm.process.exitCode !== null || vm.process.signalCode !== null);
  if (dead === undefined) return error;
  const said =
    dead.stderr().trim().split("\n").at(-1) ||
    `exit status ${dead.process.exitCode ?? dead.process.signalCode}`;
  return new DemoUnavailable(`QEMU (${dead.role}) died: ${said}`);
}

async function demo(
  backend: Backend,
  options: DemoOptions,
  cleanups: (() => Promise<void>)[],
): Promise<DemoSummary> {
  const { write, signal } = options;
  const say = (line: string) => write(`${options.interactive ? "\r\x1b[K" : ""}${line}\n`);
  say(
    backend.kind === "qemu"
      ? `running on real QEMU: ${backend.binary}`
      : `running on the embedded QEMU 7.2 model, not real QEMU (${backend.why})`,
  );
  say(
    `starting two ${backend.kind === "qemu" ? "QEMUs" : "models"}: source with ${options.fillMiB} MiB of random RAM, destination with -incoming defer`,
  );
  const pair: DemoPair = await abortable(startPair(backend, options.fillMiB), signal);
  cleanups.push(() => pair.stop());
  try {
    return await migrateOn(pair, options, cleanups, say);
  } catch (error) {
    throw pair.explain ? await pair.explain(error) : error;
  }
}

async function migrateOn(
  pair: DemoPair,
  options: DemoOptions,
  cleanups: (() => Promise<void>)[],
  say: (line: string) => void,
): Promise<DemoSummary> {
  const { signal } = options;
  const proxy = async (
    role: "source" | "destination",
  ): Promise<{ proxy: JobFacadeProxy; client: QmpClient }> => {
    const address = `unix:${path.join(pair.dir, `${role}-proxy.sock`)}`;
    const started = await createJobFacadeProxy({ upstream: pair[role].qmp, listen: [address] });
    cleanups.push(() => started.close());
    const client = await QmpClient.connect(address);
    cleanups.push(() => client.close());
    say(`job facade proxy for the ${role} on ${address}`);
    return { proxy: started, client };
  };
  const source = await abortable(proxy("source"), signal);
  const destination = await abortable(proxy("destination"), signal);
  const sourceTrace = trace(source.client, SOURCE_JOB, (line) => say(`  source      ${line}`));
  const destinationTrace = trace(destination.client, DEST_JOB, (line) => say(`  destination ${line}`));

  say(`job-migrate-incoming ${DEST_JOB} on ${pair.migrationUri}`);
  await destination.client.execute("job-migrate-incoming", { "job-id": DEST_JOB, uri: pair.migrationUri });
  const started = Date.now();
  say(
    `job-migrate ${SOURCE_JOB}: max-bandwidth ${options.bandwidthMiB} MiB/s, ${options.postcopy ? "postcopy allowed (job-complete switches over)" : "auto-finalize off (job-finalize switches over)"}`,
  );
  await source.client.execute("job-migrate", {
    "job-id": SOURCE_JOB,
    uri: pair.migrationUri,
    "max-bandwidth": options.bandwidthMiB * 1024 * 1024,
    "auto-dismiss": false,
    ...(options.postcopy ? { postcopy: true } : { "auto-finalize": false }),
  });
  const job = await follow(options, source.client, say);
  await waitFor(() => destinationTrace.some((e) => e.startsWith("concluded")), 10_000, signal);
  for (const [client, id] of [
    [source.client, SOURCE_JOB],
    [destination.client, DEST_JOB],
  ] as const)
    await client.execute("job-dismiss", { id }).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const details = (job.details ?? {}) as JsonObject;
  const summary: DemoSummary = {
    outcome: String(job.substatus),
    error: typeof job.error === "string" ? job.error : undefined,
    seconds: (Date.now() - started) / 1000,
    transferred: Number(job["current-progress"] ?? 0),
    downtimeMs: typeof details.downtime === "number" ? details.downtime : undefined,
    passes: Number(((job.progress ?? {}) as JsonObject).passes ?? 0),
    sourceTrace,
    destinationTrace,
  };
  say(summaryText(summary));
  return summary;
}

/** Polls query-jobs, draws the progress line, and plays the job's part at the switchover. */
async function follow(
  options: DemoOptions,
  client: QmpClient,
  say: (line: string) => void,
): Promise<JsonObject> {
  const line = new ProgressLine();
  let lastPrinted = 0;
  let completing = false;
  let readySince: number | undefined;
  for (;;) {
    if (options.signal.aborted) throw options.signal.reason;
    const jobs = (await client.execute("query-jobs")) as JsonObject[];
    const job = jobs.find((j) => j.id === SOURCE_JOB);
    if (!job) throw new Error(`job '${SOURCE_JOB}' vanished from query-jobs`);
    const sample = sampleOf(job);
    const now = Date.now();
    const text = line.render(sample, now, { columns: options.interactive ? options.columns?.() : undefined });
    if (options.interactive) options.write(`\r\x1b[K${text}`);
    else if (now - lastPrinted >= 1000 || sample.status === "concluded") {
      options.write(`${text}\n`);
      lastPrinted = now;
    }
    if (sample.status === "concluded") {
      if (options.interactive) options.write("\n");
      return job;
    }
    if (sample.status === "pending" && sample.substatus === "pre-switchover" && !completing) {
      completing = true;
      say("copy done, the job waits in pending: job-finalize");
      await client.execute("job-finalize", { id: SOURCE_JOB });
    }
    if (sample.status === "ready" && sample.substatus === "active") readySince ??= now;
    if (readySince !== undefined && now - readySince > 1000 && !completing) {
      completing = true;
      say("job is ready: job-complete starts postcopy");
      await client.execute("job-complete", { id: SOURCE_JOB });
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Collects one job's events as "status" and "(substatus)" entries and prints each one. */
function trace(client: QmpClient, id: string, print: (line: string) => void): string[] {
  const entries: string[] = [];
  void (async () => {
    for await (const event of client.eventsOf([
      "JOB_STATUS_CHANGE",
      "JOB_SUBSTATUS_CHANGE",
    ]) as AsyncIterable<QmpEvent>) {
      if (event.data?.id !== id) continue;
      const entry =
        event.event === "JOB_STATUS_CHANGE" ? String(event.data.status) : `(${String(event.data.substatus)})`;
      entries.push(entry);
      print(
        event.event === "JOB_STATUS_CHANGE"
          ? `job status    ${entry}`
          : `job substatus ${entry.slice(1, -1)}`,
      );
    }
  })();
  return entries;
}

function summaryText(s: DemoSummary): string {
  const lines = [
    "",
    "summary",
    `  outcome      ${s.outcome}${s.error ? ` (${s.error})` : ""}`,
    `  duration     ${s.seconds.toFixed(1)} s`,
    `  transferred  ${mib(s.transferred)}`,
    `  downtime     ${s.downtimeMs === undefined ? "-" : `${s.downtimeMs} ms`}`,
    `  passes       ${s.passes}`,
    `  source       ${s.sourceTrace.join(" → ")}`,
    `  destination  ${s.destinationTrace.join(" → ")}`,
  ];
  return lines.join("\n");
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

async function waitFor(check: () => boolean, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) {
    if (signal.aborted) throw signal.reason;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Test-only: the legacy migration scenarios run the same way on two backends — a pair of real
 * QEMU 7.2 processes or a pair of embedded models (src/model) — recording each side's normalised
 * conversation (trace-node.ts). Scenarios tagged `modelOnly` need faults real QEMU cannot be made
 * to produce on demand.
 */
import path from "node:path";
import { startQemuPair } from "../../../adapters/qemu-pair.ts";
import { startModelPair } from "../../../src/model/index.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { TraceNode } from "./trace-node.ts";

export interface Backend {
  readonly name: "qemu" | "model";
  readonly source: string;
  readonly destination: string;
  readonly uri: string;
  /** Kills the destination as a crash would. */
  crashDestination(): Promise<void>;
  /** Model only: cuts the migration stream between the two. */
  dropNetwork?(): void;
  stop(): Promise<void>;
}

const FILL_MIB = 32;
const RAM_MIB = 64;
export const BANDWIDTH = 16 * 1024 * 1024;

export async function qemuBackend(): Promise<Backend> {
  const pair = await startQemuPair({ fillMiB: FILL_MIB, memoryMiB: RAM_MIB });
  return {
    name: "qemu",
    source: pair.source.qmp,
    destination: pair.destination.qmp,
    uri: pair.migrationUri,
    crashDestination: () => pair.destination.kill(),
    stop: () => pair.stop(),
  };
}

export async function modelBackend(): Promise<Backend> {
  const pair = await startModelPair({ ramMiB: RAM_MIB, fillMiB: FILL_MIB });
  return {
    name: "model",
    source: pair.source.qmpAddress,
    destination: pair.destination.qmpAddress,
    uri: pair.migrationUri,
    crashDestination: async () => pair.destination.crash(),
    dropNetwork: () => pair.source.faults.dropNetwork(),
    stop: () => pair.stop(),
  };
}

export interface Context {
  backend: Backend;
  src: TraceNode;
  dst: TraceNode;
}

export interface Scenario {
  name: string;
  modelOnly?: boolean;
  run(ctx: Context): Promise<void>;
}

const caps = (names: string[]): JsonObject => ({
  capabilities: names.map((capability) => ({ capability, state: true })),
});

/** Events on both sides (unless told), the given capabilities, a slow link, the destination listening. */
async function prepare(ctx: Context, options: { caps?: string[]; events?: boolean } = {}): Promise<void> {
  const extra = options.caps ?? [];
  const events = options.events === false ? [] : ["events"];
  if (events.length + extra.length > 0)
    await ctx.src.exec("migrate-set-capabilities", caps([...events, ...extra]));
  await ctx.dst.exec(
    "migrate-set-capabilities",
    caps(["events", ...extra.filter((c) => c === "postcopy-ram")]),
  );
  await ctx.src.exec("migrate-set-parameters", { "max-bandwidth": BANDWIDTH });
  await ctx.dst.exec("migrate-incoming", { uri: ctx.backend.uri });
}

async function finalQueries(ctx: Context): Promise<void> {
  await ctx.src.settle();
  await ctx.dst.settle();
  for (const node of [ctx.src, ctx.dst]) {
    await node.exec("query-migrate");
    await node.exec("query-status");
  }
}

async function migrateToEnd(ctx: Context, end = "completed"): Promise<void> {
  await ctx.src.exec("migrate", { uri: ctx.backend.uri });
  await ctx.src.event("MIGRATION", end);
}

export const CATALOGUE: Scenario[] = [
  {
    name: "plain migration",
    async run(ctx) {
      await prepare(ctx);
      await migrateToEnd(ctx);
      await ctx.dst.event("MIGRATION", "completed");
      await finalQueries(ctx);
    },
  },
  {
    name: "pause-before-switchover and migrate-continue",
    async run(ctx) {
      await prepare(ctx, { caps: ["pause-before-switchover"] });
      await migrateToEnd(ctx, "pre-switchover");
      await ctx.src.exec("query-migrate");
      await ctx.src.exec("migrate-continue", { state: "active" });
      await ctx.src.exec("migrate-continue", { state: "pre-switchover" });
      await ctx.src.event("MIGRATION", "completed");
      await ctx.dst.event("MIGRATION", "completed");
      await finalQueries(ctx);
    },
  },
  {
    name: "cancel in setup",
    async run(ctx) {
      await prepare(ctx);
      await ctx.src.execMany([["migrate", { uri: ctx.backend.uri }], ["migrate_cancel"]]);
      await ctx.src.event("MIGRATION", "cancelled");
      await ctx.src.settle();
      await ctx.src.exec("query-migrate");
      await ctx.src.exec("query-status");
    },
  },
  {
    name: "cancel while active",
    async run(ctx) {
      await prepare(ctx);
      await migrateToEnd(ctx, "active");
      await ctx.src.settle(300);
      await ctx.src.exec("migrate_cancel");
      await ctx.src.event("MIGRATION", "cancelled");
      await ctx.dst.event("MIGRATION", "failed");
      await finalQueries(ctx);
    },
  },
  {
    name: "cancel in pre-switchover",
    async run(ctx) {
      await prepare(ctx, { caps: ["pause-before-switchover"] });
      await migrateToEnd(ctx, "pre-switchover");
      await ctx.src.exec("migrate_cancel");
      await ctx.src.event("MIGRATION", "cancelled");
      await ctx.dst.event("MIGRATION", "failed");
      await finalQueries(ctx);
    },
  },
  {
    name: "cancel with no migration",
    async run(ctx) {
      await ctx.src.exec("migrate_cancel");
      await ctx.src.exec("query-migrate");
      await ctx.src.exec("query-status");
    },
  },
  {
    name: "cancel after completion",
    async run(ctx) {
      await prepare(ctx);
      await migrateToEnd(ctx);
      await ctx.src.settle();
      await ctx.src.exec("migrate_cancel");
      await ctx.src.exec("query-migrate");
    },
  },
  {
    name: "postcopy start",
    async run(ctx) {
      await prepare(ctx, { caps: ["postcopy-ram"] });
      await migrateToEnd(ctx, "active");
      await ctx.src.exec("migrate-start-postcopy");
      await ctx.src.event("MIGRATION", "completed");
      await ctx.dst.event("MIGRATION", "completed");
      await finalQueries(ctx);
    },
  },
  {
    name: "postcopy start with pause-before-switchover",
    async run(ctx) {
      await prepare(ctx, { caps: ["postcopy-ram", "pause-before-switchover"] });
      await migrateToEnd(ctx, "active");
      await ctx.src.exec("migrate-start-postcopy");
      await ctx.src.event("MIGRATION", "pre-switchover");
      await ctx.src.exec("query-status");
      await ctx.src.exec("migrate-continue", { state: "pre-switchover" });
      await ctx.src.event("MIGRATION", "completed");
      await ctx.dst.event("MIGRATION", "completed");
      await finalQueries(ctx);
    },
  },
  {
    name: "destination failure",
    async run(ctx) {
      await prepare(ctx);
      await migrateToEnd(ctx, "active");
      await ctx.backend.crashDestination();
      await ctx.src.event("MIGRATION", "failed");
      await ctx.src.settle();
      await ctx.src.exec("query-migrate");
      await ctx.src.exec("query-status");
    },
  },
  {
    name: "second migrate refused",
    async run(ctx) {
      await prepare(ctx);
      await migrateToEnd(ctx, "active");
      await ctx.src.exec("migrate", { uri: ctx.backend.uri });
      await ctx.src.exec("migrate-set-capabilities", caps(["xbzrle"]));
      await ctx.src.exec("migrate_cancel");
      await ctx.src.event("MIGRATION", "cancelled");
      await ctx.dst.event("MIGRATION", "failed");
    },
  },
  {
    name: "events capability off",
    async run(ctx) {
      await prepare(ctx, { events: false });
      await ctx.src.exec("migrate", { uri: ctx.backend.uri });
      await ctx.src.pollStatus(["completed", "failed"]);
      await ctx.dst.event("MIGRATION", "completed");
      await finalQueries(ctx);
    },
  },
  {
    name: "refusals with no migration",
    async run(ctx) {
      await ctx.src.exec("migrate-continue", { state: "pre-switchover" });
      await ctx.src.exec("migrate-pause");
      await ctx.src.exec("migrate-start-postcopy");
      await ctx.src.exec("migrate-set-capabilities", caps(["postcopy-ram"]));
      await ctx.src.exec("migrate-start-postcopy");
      await ctx.dst.exec("migrate-recover", { uri: ctx.backend.uri });
      await ctx.src.exec("migrate-incoming", { uri: ctx.backend.uri });
      // An unknown protocol: `setup` first (events off: it is sent anyway), then the refusal; a retry may follow.
      await ctx.dst.exec("migrate-incoming", { uri: "bogus:/x" });
      await ctx.dst.exec("query-migrate");
      await ctx.dst.exec("migrate-incoming", { uri: ctx.backend.uri });
      await ctx.dst.exec("query-migrate");
      await ctx.dst.exec("migrate-incoming", { uri: ctx.backend.uri });
      await ctx.dst.exec("query-migrate");
      await ctx.dst.exec("migrate-incoming", { uri: ctx.backend.uri });
      await ctx.src.exec("query-migrate-parameters");
      await ctx.src.exec("query-migrate-capabilities");
      await ctx.src.exec("query-jobs");
    },
  },
  {
    name: "refusals and connect failures on the source",
    async run(ctx) {
      await ctx.src.exec("migrate-set-capabilities", caps(["events"]));
      await ctx.src.exec("migrate-set-parameters", { "downtime-limit": 2_000_001 });
      await ctx.src.exec("migrate", { uri: "unix:/nonexistent/x.sock", resume: true });
      await ctx.src.exec("migrate", { uri: "bogus:/x" });
      await ctx.src.exec("query-migrate");
      await ctx.src.exec("migrate", { uri: "unix:/nonexistent/x.sock" });
      const failures = () =>
        ctx.src.received.filter((r) => r.event === "MIGRATION" && r.data?.status === "failed");
      await ctx.src.until(() => failures().length === 2, "the second failure", 10_000);
      await ctx.src.exec("query-migrate");
      await ctx.src.exec("stop");
      await ctx.src.exec("query-status");
      await ctx.src.exec("cont");
      await ctx.src.exec("query-status");
    },
  },
  {
    name: "mirror job walk (null-co)",
    async run(ctx) {
      const { src } = ctx;
      for (const name of ["disk0", "target0"])
        await src.exec("blockdev-add", { driver: "null-co", "node-name": name, size: 16 * 1024 * 1024 });
      await src.exec("blockdev-mirror", {
        "job-id": "m0",
        device: "disk0",
        target: "target0",
        sync: "full",
        "auto-finalize": false,
        "auto-dismiss": false,
      });
      await src.event("BLOCK_JOB_READY");
      await src.exec("job-complete", { id: "m0" });
      await src.event("BLOCK_JOB_PENDING");
      await src.exec("query-jobs");
      await src.exec("job-finalize", { id: "m0" });
      await src.event("JOB_STATUS_CHANGE", "concluded");
      await src.exec("job-dismiss", { id: "m0" });
      await src.exec("job-dismiss", { id: "m0" });
      await src.exec("query-jobs");
    },
  },
  {
    name: "mirror job: pause, resume, cancel, refusals",
    async run(ctx) {
      const { src } = ctx;
      for (const name of ["disk0", "target0"])
        await src.exec("blockdev-add", { driver: "null-co", "node-name": name, size: 16 * 1024 * 1024 });
      await src.exec("blockdev-add", { driver: "null-co", "node-name": "disk0", size: 1024 });
      await src.exec("blockdev-mirror", { "job-id": "m1", device: "disk0", target: "target0", sync: "full" });
      await src.event("BLOCK_JOB_READY");
      await src.exec("job-finalize", { id: "m1" });
      await src.exec("job-resume", { id: "m1" });
      await src.exec("job-pause", { id: "m1" });
      await src.event("JOB_STATUS_CHANGE", "standby");
      await src.exec("query-jobs");
      await src.exec("job-resume", { id: "m1" });
      await src.event("JOB_STATUS_CHANGE", "ready");
      await src.exec("job-cancel", { id: "m1" });
      await src.event("JOB_STATUS_CHANGE", "null");
      await src.exec("job-cancel", { id: "nope" });
      await src.exec("query-jobs");
    },
  },
  {
    name: "network drop while active (model only)",
    modelOnly: true,
    async run(ctx) {
      await prepare(ctx);
      await migrateToEnd(ctx, "active");
      ctx.backend.dropNetwork?.();
      await ctx.src.event("MIGRATION", "failed");
      await ctx.dst.event("MIGRATION", "failed");
      await finalQueries(ctx);
    },
  },
  {
    name: "network drop in postcopy, then recovery (model only)",
    modelOnly: true,
    async run(ctx) {
      await prepare(ctx, { caps: ["postcopy-ram"] });
      await migrateToEnd(ctx, "active");
      await ctx.src.exec("migrate-start-postcopy");
      await ctx.src.event("MIGRATION", "postcopy-active");
      ctx.backend.dropNetwork?.();
      await ctx.src.event("MIGRATION", "postcopy-paused");
      await ctx.dst.event("MIGRATION", "postcopy-paused");
      await ctx.src.exec("migrate-start-postcopy");
      await ctx.dst.exec("migrate-recover", { uri: ctx.backend.uri });
      await ctx.src.exec("migrate", { uri: ctx.backend.uri, resume: true });
      await ctx.src.event("MIGRATION", "completed");
      await ctx.dst.event("MIGRATION", "completed");
      await finalQueries(ctx);
    },
  },
];

export interface Traces {
  source: string[];
  destination: string[];
}

/** Runs one scenario on a fresh backend; always stops it. */
export async function runScenario(scenario: Scenario, start: () => Promise<Backend>): Promise<Traces> {
  const backend = await start();
  const nodes: TraceNode[] = [];
  try {
    const src = await TraceNode.open("source", backend.source);
    nodes.push(src);
    const dst = await TraceNode.open("destination", backend.destination);
    nodes.push(dst);
    await scenario.run({ backend, src, dst });
    // Trailing events and a destination that exits after a failure reach the trace.
    await src.settle();
    await dst.settle();
    return { source: [...src.trace], destination: [...dst.trace] };
  } finally {
    for (const node of nodes) node.close();
    await backend.stop();
  }
}

export const socketIn = (dir: string, name: string) => `unix:${path.join(dir, name)}`;

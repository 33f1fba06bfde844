/**
 * Test-only: the legacy migration scenarios run the same way on two backends — a pair of real
 * QEMU 7.2 processes or a pair of embedded models (src/model) — recording each side's normalised
 * conversation (trace-node.ts). Scenarios tagged `modelOnly` need faults real QEMU cannot be made
 * to produce on demand.
 */
import path from "node:path";
import { startQemuPair } from "../../../adapters/qemu-pair.ts";
import { type ModelVersion, startModelPair } from "../../../src/model/index.ts";
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

/** A pair of real QEMUs of `binary` (default: the 7.2 one found on PATH or in $QEMU). */
export const qemuBackendOf = (binary?: string) => async (): Promise<Backend> => {
  const pair = await startQemuPair({ binary, fillMiB: FILL_MIB, memoryMiB: RAM_MIB });
  return {
    name: "qemu",
    source: pair.source.qmp,
    destination: pair.destination.qmp,
    uri: pair.migrationUri,
    crashDestination: () => pair.destination.kill(),
    stop: () => pair.stop(),
  };
};

/** A pair of models running `version`'s profile. */
export const modelBackendOf = (version: ModelVersion) => async (): Promise<Backend> => {
  const pair = await startModelPair({ ramMiB: RAM_MIB, fillMiB: FILL_MIB, version });
  return {
    name: "model",
    source: pair.source.qmpAddress,
    destination: pair.destination.qmpAddress,
    uri: pair.migrationUri,
    crashDestination: async () => pair.destination.crash(),
    dropNetwork: () => pair.source.faults.dropNetwork(),
    stop: () => pair.stop(),
  };
};

export const qemuBackend = qemuBackendOf();
export const modelBackend = modelBackendOf("7.2");

export interface Context {
  backend: Backend;
  src: TraceNode;
  dst: TraceNode;
}

export interface Scenario {
  name: string;
  modelOnly?: boolean;
  /** The QEMU versions the scenario is for (default: every one). */
  versions?: ModelVersion[];
  /**
   * Where real QEMU of a version races with itself in this scenario, why: the model takes one of
   * QEMU's interleavings, and the real run is repeated (a few times at most) until QEMU takes it.
   */
  racesOn?: Partial<Record<ModelVersion, string>>;
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
    racesOn: {
      "10.0":
        "QEMU 10.0's migration thread may still be in ram_save_setup when the cancel shuts the channel: then MIGRATION_PASS 1 comes before `cancelled` and query-migrate says error-desc 'ram_save_setup failed: Input/output error' (the model gives the other interleaving: cancelled, then the pass, no error-desc)",
    },
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
    racesOn: {
      "7.2":
        "QEMU 7.2's migrate_cancel wakes the thread held in pre-switchover before it sets cancelling, so the thread may announce device first (the model: cancelling straight from pre-switchover)",
    },
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
      const failures = () =>
        ctx.src.received.filter((r) => r.event === "MIGRATION" && r.data?.status === "failed").length;
      await ctx.src.exec("migrate", { uri: "bogus:/x" });
      await ctx.src.exec("query-migrate");
      // 7.2 enters setup and fails on an unknown protocol; 10.0 refuses it before.
      const before = failures();
      await ctx.src.exec("migrate", { uri: "unix:/nonexistent/x.sock" });
      await ctx.src.until(() => failures() === before + 1, "the connect failure", 10_000);
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
    name: "migrate_cancel refused once postcopy runs",
    versions: ["10.0"],
    async run(ctx) {
      await prepare(ctx, { caps: ["postcopy-ram"] });
      await ctx.src.exec("migrate-set-parameters", { "max-postcopy-bandwidth": 4 * 1024 * 1024 });
      await migrateToEnd(ctx, "active");
      await ctx.src.exec("migrate-start-postcopy");
      await ctx.src.event("MIGRATION", "postcopy-active");
      await ctx.src.exec("migrate_cancel");
      await ctx.src.exec("migrate-set-parameters", { "max-postcopy-bandwidth": 0 });
      await ctx.src.event("MIGRATION", "completed");
      await ctx.dst.event("MIGRATION", "completed");
      await finalQueries(ctx);
    },
  },
  {
    name: "10.0 arguments: channels, exit-on-error, and what 9.1 removed",
    versions: ["10.0"],
    racesOn: {
      "10.0":
        "the destination's error-desc names where the cancel cut its load: 'Invalid argument' inside a section (the model's, 5 of 6 runs here), 'Input/output error' between sections",
    },
    async run(ctx) {
      const path = ctx.backend.uri.replace(/^unix:/, "");
      const channels = [{ "channel-type": "main", addr: { transport: "socket", type: "unix", path } }];
      await ctx.src.exec("migrate", { uri: ctx.backend.uri, blk: true });
      await ctx.src.exec("migrate", { uri: ctx.backend.uri, inc: true });
      await ctx.src.exec("migrate", {});
      await ctx.src.exec("migrate", { uri: ctx.backend.uri, channels });
      await ctx.src.exec("migrate-set-capabilities", caps(["block"]));
      await ctx.src.exec("migrate-set-capabilities", caps(["compress"]));
      await ctx.src.exec("migrate-set-parameters", { "compress-level": 1 });
      await ctx.src.exec("migrate-set-capabilities", caps(["events"]));
      await ctx.src.exec("migrate-set-parameters", { "max-bandwidth": BANDWIDTH });
      await ctx.dst.exec("migrate-set-capabilities", caps(["events"]));
      await ctx.dst.exec("migrate-incoming", { channels, "exit-on-error": false });
      await ctx.dst.exec("query-migrate");
      await ctx.src.exec("migrate", { channels });
      await ctx.src.event("MIGRATION", "active");
      await ctx.src.settle(300);
      await ctx.src.exec("migrate_cancel");
      await ctx.src.event("MIGRATION", "cancelled");
      // exit-on-error off: the destination stays, failed, and says why.
      await ctx.dst.event("MIGRATION", "failed");
      await finalQueries(ctx);
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

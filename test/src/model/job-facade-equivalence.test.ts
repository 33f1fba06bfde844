/**
 * The job facade in front of the model must give the same job traces as in front of real QEMU
 * 7.2: the same job scenarios run through `createJobFacadeProxy` on each backend, and the
 * normalised conversations of the job clients (replies, JOB_* events) must be equal.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createJobFacadeProxy, type JobFacadeProxy } from "../../../adapters/proxy.ts";
import { findQemuBinary } from "../../../adapters/qemu-pair.ts";
import { BANDWIDTH, type Backend, modelBackend, qemuBackend } from "./catalogue.ts";
import { TraceNode } from "./trace-node.ts";

function skipReason(): string | undefined {
  if (findQemuBinary()) return undefined;
  if (process.env.REQUIRE_QEMU === "1") throw new Error("REQUIRE_QEMU=1 but no qemu-system-x86_64 found");
  return "SKIPPED: no qemu-system-x86_64 (set QEMU=PATH): the job facade on the model was NOT compared with real QEMU";
}
const skip = skipReason();
if (skip) console.warn(skip);

interface JobContext {
  backend: Backend;
  src: TraceNode;
  dst: TraceNode;
}

interface JobScenario {
  name: string;
  run(ctx: JobContext): Promise<void>;
}

/** Only the job API's own messages: MIGRATION/STOP/RESUME pass through and are compared elsewhere. */
const jobLines = (trace: string[]) =>
  trace
    .filter((line) => !/^! (MIGRATION|STOP|RESUME)/.test(line))
    .map((line) => line.replace(/"convergence":"[a-z-]+"/, '"convergence":"…"'));

async function listen(ctx: JobContext): Promise<void> {
  await ctx.dst.exec("job-migrate-incoming", { "job-id": "in", uri: ctx.backend.uri, "auto-dismiss": false });
}

const SCENARIOS: JobScenario[] = [
  {
    name: "job-migrate held in pending, job-finalize, dismiss",
    async run(ctx) {
      await listen(ctx);
      await ctx.src.exec("job-migrate", {
        "job-id": "out",
        uri: ctx.backend.uri,
        "auto-finalize": false,
        "auto-dismiss": false,
        "max-bandwidth": BANDWIDTH,
      });
      await ctx.src.event("JOB_STATUS_CHANGE", "pending");
      await ctx.src.exec("job-complete", { id: "out" });
      await ctx.src.exec("job-finalize", { id: "out" });
      await ctx.src.event("JOB_STATUS_CHANGE", "concluded");
      await ctx.dst.event("JOB_STATUS_CHANGE", "concluded");
      for (const [node, id] of [
        [ctx.src, "out"],
        [ctx.dst, "in"],
      ] as const) {
        await node.settle();
        await node.exec("job-dismiss", { id });
        await node.exec("query-jobs");
      }
    },
  },
  {
    name: "job-cancel while copying",
    async run(ctx) {
      await listen(ctx);
      await ctx.src.exec("job-migrate", {
        "job-id": "out",
        uri: ctx.backend.uri,
        "auto-dismiss": false,
        "max-bandwidth": BANDWIDTH,
      });
      await ctx.src.event("JOB_SUBSTATUS_CHANGE", undefined);
      await ctx.src.until(
        () => ctx.src.trace.some((l) => l.includes('"substatus":"active"')),
        "active",
        30_000,
      );
      await ctx.src.exec("job-cancel", { id: "out" });
      await ctx.src.event("JOB_STATUS_CHANGE", "concluded");
      await ctx.src.settle();
      await ctx.src.exec("query-jobs");
    },
  },
  {
    name: "postcopy job: ready, job-complete",
    async run(ctx) {
      await listen(ctx);
      await ctx.src.exec("job-migrate", {
        "job-id": "out",
        uri: ctx.backend.uri,
        postcopy: true,
        "auto-dismiss": false,
        "max-bandwidth": BANDWIDTH,
      });
      await ctx.src.event("JOB_STATUS_CHANGE", "ready");
      await ctx.src.exec("job-complete", { id: "out" });
      await ctx.src.event("JOB_STATUS_CHANGE", "concluded");
      await ctx.dst.event("JOB_STATUS_CHANGE", "concluded");
    },
  },
  {
    name: "destination dies during the copy",
    async run(ctx) {
      await listen(ctx);
      await ctx.src.exec("job-migrate", {
        "job-id": "out",
        uri: ctx.backend.uri,
        "auto-dismiss": false,
        "max-bandwidth": BANDWIDTH,
      });
      await ctx.src.until(
        () => ctx.src.trace.some((l) => l.includes('"substatus":"active"')),
        "active",
        30_000,
      );
      await ctx.backend.crashDestination();
      await ctx.src.event("JOB_STATUS_CHANGE", "concluded");
      await ctx.src.settle();
      await ctx.src.exec("query-jobs");
    },
  },
];

async function runJobScenario(scenario: JobScenario, start: () => Promise<Backend>) {
  const backend = await start();
  const proxies: JobFacadeProxy[] = [];
  const nodes: TraceNode[] = [];
  try {
    const dir = path.dirname(backend.source.slice("unix:".length));
    const open = async (side: "source" | "destination") => {
      const address = `unix:${path.join(dir, `${side}-jobs.sock`)}`;
      proxies.push(
        await createJobFacadeProxy({
          upstream: backend[side],
          listen: [address],
          facade: { pollIntervalMs: 200 },
        }),
      );
      const node = await TraceNode.open(side, address);
      nodes.push(node);
      return node;
    };
    const src = await open("source");
    const dst = await open("destination");
    await scenario.run({ backend, src, dst });
    await src.settle();
    return { source: jobLines(src.trace), destination: jobLines(dst.trace) };
  } finally {
    for (const node of nodes) node.close();
    await Promise.all(proxies.map((p) => p.close().catch(() => undefined)));
    await backend.stop();
  }
}

describe.skipIf(skip !== undefined)("job facade on the model vs on QEMU 7.2", () => {
  for (const scenario of SCENARIOS)
    it(scenario.name, async () => {
      const real = await runJobScenario(scenario, qemuBackend);
      const model = await runJobScenario(scenario, modelBackend);
      // Equal and not trivially so: the real job reached its end.
      expect(real.source.join("\n")).toContain('"status":"concluded"');
      expect(model).toEqual(real);
    }, 60_000);
});

/**
 * The switchover transaction through the job facade, over a scripted QEMU that also runs block
 * mirror jobs: when it commits, what it sends in which order, and how one failure aborts all.
 */
import { describe, expect, it } from "vitest";
import { JobFacade } from "../../../adapters/job-facade/facade.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";
import type { QmpServerSession } from "../../../src/qmp/server-session.ts";
import { FakeQemu } from "../job-facade/fake-qemu.ts";
import { isLegalJobWalk } from "../job-facade/legal-walk.ts";

/** FakeQemu plus block jobs: mirrors that a test moves with `mirrorTo` and `mirrorEnds`. */
class QemuWithMirrors extends FakeQemu {
  readonly blockJobs = new Map<string, { type: string; status: string }>();

  override async execute(command: string, args?: JsonObject): Promise<JsonValue> {
    const id = (args?.id ?? args?.device) as string | undefined;
    const job = id === undefined ? undefined : this.blockJobs.get(id);
    switch (command) {
      case "query-jobs":
        this.calls.push({ command, args });
        return [...this.blockJobs].map(([jobId, j]) => ({ id: jobId, ...j }));
      case "block-job-cancel":
      case "job-cancel":
      case "job-finalize":
      case "block-job-complete":
        this.calls.push({ command, args });
        if (!job) throw new QmpError("GenericError", "Job not found");
        if (command === "job-cancel") this.mirrorEnds(id as string, "cancelled");
        return {};
      default:
        return super.execute(command, args);
    }
  }

  mirror(id: string, status = "running", type = "mirror"): void {
    this.blockJobs.set(id, { type, status });
  }

  mirrorTo(id: string, status: string): void {
    const job = this.blockJobs.get(id);
    if (job) job.status = status;
    this.emit("JOB_STATUS_CHANGE", { status, id });
  }

  /** The mirror ends: completed (optionally with an error) or cancelled, then goes away. */
  mirrorEnds(id: string, how: "completed" | "failed" | "cancelled"): void {
    this.mirrorTo(id, how === "completed" ? "pending" : "aborting");
    const base = { device: id, len: 1, offset: 1, speed: 0, type: "mirror" };
    if (how === "cancelled") this.emit("BLOCK_JOB_CANCELLED", base);
    else this.emit("BLOCK_JOB_COMPLETED", how === "failed" ? { ...base, error: "Input/output error" } : base);
    this.mirrorTo(id, "concluded");
    this.mirrorTo(id, "null");
    this.blockJobs.delete(id);
  }
}

async function setup() {
  const qemu = new QemuWithMirrors();
  const facade = await JobFacade.attach(qemu, { pollIntervalMs: 0 });
  const received: JsonObject[] = [];
  facade.addClient({ negotiated: true, send: (m: JsonObject) => received.push(m) } as never);
  const call = async (command: string, args: JsonObject = {}): Promise<JsonValue> => {
    const context = { session: {} as QmpServerSession, oob: false };
    const handler = facade.handlers[command] ?? facade.passThrough(command);
    const result = await handler(args, context);
    await settle();
    return result ?? {};
  };
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await facade.settled();
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const step = async (status: string) => {
    qemu.goto(status);
    await settle();
  };
  const statuses = (id: string) =>
    received
      .filter((m) => m.event === "JOB_STATUS_CHANGE" && (m.data as JsonObject).id === id)
      .map((m) => String((m.data as JsonObject).status));
  const sent = (command: string) => qemu.calls.filter((c) => c.command === command);
  return { qemu, facade, call, step, settle, statuses, sent };
}

const refusal = (desc: string) => expect.objectContaining({ desc });
const migrate = (extra: JsonObject = {}) => ({
  "job-id": "m0",
  uri: "tcp:h:1",
  "auto-dismiss": false,
  ...extra,
});

describe("job-migrate with mirrors: arguments", () => {
  it.each([
    [{ mirrors: "mir0" }, "Invalid parameter type for 'mirrors', expected: array"],
    [{ mirrors: ["mir0", 3] }, "Invalid parameter type for 'mirrors[1]', expected: string"],
    [{ mirrors: ["nope"] }, "Mirror job 'nope' not found"],
    [{ mirrors: ["bk0"] }, "Job 'bk0' is a 'backup' job, not a mirror"],
    [{ mirrors: ["done"] }, "Mirror job 'done' in state 'concluded' cannot join a switchover"],
    [{ mirrors: ["mir0", "mir0"] }, "Mirror job 'mir0' is listed twice"],
    [
      { mirrors: ["mir0"], postcopy: true },
      "'mirrors' must not be given with 'postcopy': postcopy has no pending hold",
    ],
  ])("%j is refused with %s, and no migration starts", async (extra, desc) => {
    const { qemu, call, sent } = await setup();
    qemu.mirror("mir0");
    qemu.mirror("bk0", "running", "backup");
    qemu.mirror("done", "concluded");
    await expect(call("job-migrate", migrate(extra))).rejects.toEqual(refusal(desc));
    expect(sent("migrate")).toEqual([]);
    expect(await call("query-jobs")).not.toContainEqual(expect.objectContaining({ id: "m0" }));
  });

  it("a mirror already in an open transaction cannot join another", async () => {
    const { qemu, call, step } = await setup();
    qemu.mirror("mir0");
    await call("job-migrate", migrate({ mirrors: ["mir0"] }));
    await step("setup");
    await expect(call("job-migrate", migrate({ "job-id": "m1", mirrors: ["mir0"] }))).rejects.toEqual(
      refusal("Mirror job 'mir0' already switches over with migration 'm0'"),
    );
  });
});

describe("switchover transaction", () => {
  it("auto-finalize: commits only when the migration is at pre-switchover and every mirror is ready", async () => {
    const { qemu, call, step, settle, statuses, sent } = await setup();
    qemu.mirror("mir0");
    qemu.mirror("mir1", "ready");
    await call("job-migrate", migrate({ mirrors: ["mir0", "mir1"] }));
    // The hold is on although auto-finalize is: the transaction releases it.
    expect(qemu.caps.get("pause-before-switchover")).toBe(true);
    const [info] = (await call("query-jobs")) as JsonObject[];
    expect(info?.mirrors).toEqual(["mir0", "mir1"]);
    await step("setup");
    await step("active");
    await step("pre-switchover");
    expect(statuses("m0").at(-1)).toBe("pending");
    expect(sent("block-job-cancel")).toEqual([]);
    expect(sent("migrate-continue")).toEqual([]);
    qemu.mirrorTo("mir0", "ready");
    await settle();
    expect(sent("block-job-cancel").map((c) => c.args)).toEqual([
      { device: "mir0", force: false },
      { device: "mir1", force: false },
    ]);
    qemu.mirrorEnds("mir0", "completed");
    await settle();
    expect(sent("migrate-continue")).toEqual([]);
    qemu.mirrorEnds("mir1", "completed");
    await settle();
    expect(sent("migrate-continue").map((c) => c.args)).toEqual([{ state: "pre-switchover" }]);
    await step("completed");
    expect(statuses("m0")).toEqual(["created", "running", "waiting", "pending", "concluded"]);
    expect(isLegalJobWalk(statuses("m0").map((s) => `status ${s}`))).toBe(true);
    // No member was cancelled; no client command was needed.
    expect(sent("job-cancel")).toEqual([]);
    expect(sent("migrate_cancel")).toEqual([]);
  });

  it("auto-finalize off: job-finalize is refused until every mirror is ready, and completing a member is refused", async () => {
    const { qemu, call, step, settle, sent } = await setup();
    qemu.mirror("mir0");
    await call("job-migrate", migrate({ mirrors: ["mir0"], "auto-finalize": false }));
    await step("setup");
    await step("pre-switchover");
    await expect(call("job-finalize", { id: "m0" })).rejects.toEqual(
      refusal("Cannot switch over: mirror job 'mir0' is not ready (status 'running')"),
    );
    qemu.mirrorTo("mir0", "ready");
    await settle();
    expect(sent("block-job-cancel")).toEqual([]);
    const member = "Job 'mir0' switches over with migration 'm0' and completes with it";
    await expect(call("job-complete", { id: "mir0" })).rejects.toEqual(refusal(member));
    await expect(call("block-job-complete", { device: "mir0" })).rejects.toEqual(refusal(member));
    await call("job-finalize", { id: "m0" });
    expect(sent("block-job-cancel").map((c) => c.args)).toEqual([{ device: "mir0", force: false }]);
    qemu.mirrorEnds("mir0", "completed");
    await settle();
    expect(sent("migrate-continue")).toHaveLength(1);
  });

  it("a mirror that fails before the switchover cancels the migration and every other mirror", async () => {
    const { qemu, call, step, settle, statuses, sent } = await setup();
    qemu.mirror("mir0");
    qemu.mirror("mir1");
    await call("job-migrate", migrate({ mirrors: ["mir0", "mir1"] }));
    await step("setup");
    await step("active");
    qemu.mirrorEnds("mir0", "failed");
    await settle();
    expect(sent("migrate_cancel")).toHaveLength(1);
    expect(sent("job-cancel").map((c) => c.args)).toEqual([{ id: "mir1" }]);
    await step("cancelled");
    expect(statuses("m0").slice(-2)).toEqual(["aborting", "concluded"]);
    const [info] = (await call("query-jobs")) as JsonObject[];
    expect(info?.error).toBe("Operation canceled");
    expect(sent("migrate-continue")).toEqual([]);
  });

  it("a mirror completed by someone before the switchover also aborts: its copy stopped following the guest", async () => {
    const { qemu, call, step, settle, sent } = await setup();
    qemu.mirror("mir0", "ready");
    await call("job-migrate", migrate({ mirrors: ["mir0"] }));
    await step("active");
    qemu.mirrorTo("mir0", "waiting");
    await settle();
    expect(sent("migrate_cancel")).toHaveLength(1);
  });

  it("cancelling the migration cancels every mirror", async () => {
    const { qemu, call, step, settle, sent } = await setup();
    qemu.mirror("mir0", "ready");
    await call("job-migrate", migrate({ mirrors: ["mir0"], "auto-finalize": false }));
    await step("setup");
    await step("pre-switchover");
    await call("job-cancel", { id: "m0" });
    await settle();
    expect(sent("job-cancel").map((c) => c.args)).toEqual([{ id: "mir0" }]);
    expect(sent("block-job-cancel")).toEqual([]);
  });

  it("a mirror that fails while switching over aborts: the migration is cancelled, never continued", async () => {
    const { qemu, call, step, settle, sent } = await setup();
    qemu.mirror("mir0", "ready");
    qemu.mirror("mir1", "ready");
    await call("job-migrate", migrate({ mirrors: ["mir0", "mir1"] }));
    await step("setup");
    await step("pre-switchover");
    expect(sent("block-job-cancel")).toHaveLength(2);
    qemu.mirrorEnds("mir0", "completed");
    qemu.mirrorEnds("mir1", "failed");
    await settle();
    expect(sent("migrate_cancel")).toHaveLength(1);
    expect(sent("migrate-continue")).toEqual([]);
  });

  it("a migration without mirrors keeps decision 0001's behaviour", async () => {
    const { qemu, call, step, sent } = await setup();
    await call("job-migrate", migrate());
    expect(qemu.caps.get("pause-before-switchover")).toBe(false);
    const [info] = (await call("query-jobs")) as JsonObject[];
    expect(info && "mirrors" in info).toBe(false);
    await step("setup");
    expect(sent("block-job-cancel")).toEqual([]);
  });
});

import { describe, expect, it } from "vitest";
import type { FacadeClient } from "../../../adapters/job-facade/clients.ts";
import { JobFacade } from "../../../adapters/job-facade/facade.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import type { QmpServerSession } from "../../../src/qmp/server-session.ts";
import { FakeQemu } from "./fake-qemu.ts";
import { isLegalJobWalk } from "./legal-walk.ts";

class Client implements FacadeClient {
  readonly negotiated = true;
  readonly received: JsonObject[] = [];
  send(message: JsonObject): void {
    this.received.push(message);
  }
  /** Job events as short strings: "status running", "sub active". */
  jobEvents(): string[] {
    return this.received.flatMap((m) => {
      const data = m.data as JsonObject;
      if (m.event === "JOB_STATUS_CHANGE") return [`status ${data.status}`];
      if (m.event === "JOB_SUBSTATUS_CHANGE")
        return [`sub ${data.substatus}${data["unknown-status"] ? `/${data["unknown-status"]}` : ""}`];
      return [];
    });
  }
  named(event: string): JsonObject[] {
    return this.received.filter((m) => m.event === event);
  }
}

async function setup(pollIntervalMs = 0) {
  const qemu = new FakeQemu();
  const facade = await JobFacade.attach(qemu, { pollIntervalMs });
  const client = new Client();
  facade.addClient(client);
  const call = async (command: string, args: JsonObject = {}, who: Client = client): Promise<JsonValue> => {
    const context = { session: who as unknown as QmpServerSession, oob: false };
    const handler = facade.handlers[command] ?? facade.passThrough(command);
    const result = await handler(args, context);
    await facade.settled();
    return result ?? {};
  };
  const step = async (status: string) => {
    qemu.goto(status);
    await facade.settled();
    await facade.settled();
  };
  return { qemu, facade, client, call, step };
}

const refusal = (desc: string) => expect.objectContaining({ desc });

describe("job facade over a scripted QEMU", () => {
  it("reports the decision's example trace: auto-finalize and auto-dismiss off", async () => {
    const { qemu, client, call, step } = await setup();
    await call("job-migrate", {
      "job-id": "m0",
      uri: "tcp:h:1",
      "auto-finalize": false,
      "auto-dismiss": false,
    });
    expect(qemu.caps.get("pause-before-switchover")).toBe(true);
    for (const s of ["setup", "active", "pre-switchover"]) await step(s);
    expect(client.jobEvents()).toEqual([
      "status created",
      "status running",
      "sub setup",
      "sub active",
      "status waiting",
      "status pending",
      "sub pre-switchover",
    ]);
    await call("job-finalize", { id: "m0" });
    expect(qemu.commandsSent()).toContain("migrate-continue");
    await step("completed");
    await call("job-dismiss", { id: "m0" });
    expect(client.jobEvents().slice(7)).toEqual([
      "sub device",
      "status concluded",
      "sub completed",
      "status null",
    ]);
    expect(isLegalJobWalk(client.jobEvents())).toBe(true);
    expect(qemu.caps.get("pause-before-switchover")).toBe(false);
    expect(await call("query-jobs")).toEqual([]);
  });

  it("auto-dismiss removes the job right after it concludes", async () => {
    const { client, call, step } = await setup();
    await call("job-migrate", { "job-id": "m0", uri: "tcp:h:1" });
    for (const s of ["setup", "active", "completed"]) await step(s);
    expect(client.jobEvents()).toEqual([
      "status created",
      "status running",
      "sub setup",
      "sub active",
      "status waiting",
      "status pending",
      "status concluded",
      "sub completed",
      "status null",
    ]);
    expect(await call("query-jobs")).toEqual([]);
  });

  it("refuses verbs with QEMU's texts and the job status", async () => {
    const { call, step } = await setup();
    await call("job-migrate", { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false });
    await step("setup");
    await step("active");
    await expect(call("job-finalize", { id: "m0" })).rejects.toEqual(
      refusal("Job 'm0' in state 'running' cannot accept command verb 'finalize'"),
    );
    await expect(call("job-complete", { id: "m0" })).rejects.toEqual(
      refusal("Job 'm0' in state 'running' cannot accept command verb 'complete'"),
    );
    await expect(call("job-dismiss", { id: "m0" })).rejects.toEqual(
      refusal("Job 'm0' in state 'running' cannot accept command verb 'dismiss'"),
    );
    await expect(call("job-migrate", { "job-id": "m0", uri: "tcp:h:2" })).rejects.toEqual(
      refusal("Job ID 'm0' already in use"),
    );
    await expect(call("job-cancel", { id: "nope" })).rejects.toEqual(refusal("Job not found"));
    await expect(call("job-change", { id: "nope", type: "migration" })).rejects.toEqual(
      refusal("Job not found"),
    );
    await expect(call("job-migrate", { uri: "tcp:h:2" })).rejects.toEqual(
      refusal("Parameter 'job-id' is missing"),
    );
  });

  it("creates no job when QEMU refuses migrate, and answers with QEMU's text", async () => {
    const { qemu, client, call } = await setup();
    qemu.silently("active");
    await expect(call("job-migrate", { "job-id": "m1", uri: "tcp:h:1" })).rejects.toEqual(
      refusal("There's a migration process in progress"),
    );
    expect(client.jobEvents()).toEqual([]);
    expect(await call("query-jobs")).toEqual([]);
  });

  it("cancel: aborting then concluded with 'Operation canceled'; dismiss allowed afterwards", async () => {
    const { qemu, client, call, step } = await setup();
    await call("job-migrate", { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false });
    await step("setup");
    await step("active");
    await call("job-cancel", { id: "m0" });
    expect(qemu.commandsSent()).toContain("migrate_cancel");
    await step("cancelled");
    expect(client.jobEvents().slice(-4)).toEqual([
      "status aborting",
      "sub cancelling",
      "status concluded",
      "sub cancelled",
    ]);
    const [info] = (await call("query-jobs")) as JsonObject[];
    expect(info).toMatchObject({
      id: "m0",
      status: "concluded",
      error: "Operation canceled",
      substatus: "cancelled",
    });
    await expect(call("job-cancel", { id: "m0" })).rejects.toEqual(
      refusal("Job 'm0' in state 'concluded' cannot accept command verb 'cancel'"),
    );
    expect(isLegalJobWalk(client.jobEvents())).toBe(true);
  });

  it("failure: passes aborting and carries QEMU's error-desc", async () => {
    const { qemu, client, call, step } = await setup();
    await call("job-migrate", { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false });
    await step("setup");
    qemu.errorDesc = "Unable to write to socket: Broken pipe";
    await step("failed");
    expect(client.jobEvents().slice(-3)).toEqual(["status aborting", "status concluded", "sub failed"]);
    const [info] = (await call("query-jobs")) as JsonObject[];
    expect(info?.error).toBe("Unable to write to socket: Broken pipe");
  });

  it("postcopy: active is ready, job-complete runs migrate-start-postcopy, postcopy-active stays ready", async () => {
    const { qemu, client, call, step } = await setup();
    await call("job-migrate", { "job-id": "p", uri: "tcp:h:1", postcopy: true });
    expect(qemu.caps.get("postcopy-ram")).toBe(true);
    await step("setup");
    await step("active");
    await call("job-complete", { id: "p" });
    expect(qemu.commandsSent()).toContain("migrate-start-postcopy");
    await step("postcopy-active");
    await step("completed");
    expect(client.jobEvents()).toEqual([
      "status created",
      "status running",
      "sub setup",
      "status ready",
      "sub active",
      "sub postcopy-active",
      "status waiting",
      "status pending",
      "status concluded",
      "sub completed",
      "status null",
    ]);
    expect(qemu.caps.get("postcopy-ram")).toBe(false);
  });

  it("postcopy held (auto-finalize off): job-complete, pending at pre-switchover, job-finalize switches to postcopy inside pending", async () => {
    const { qemu, client, call, step } = await setup();
    await call("job-migrate", {
      "job-id": "p",
      uri: "tcp:h:1",
      postcopy: true,
      "auto-finalize": false,
      "auto-dismiss": false,
    });
    expect(qemu.caps.get("postcopy-ram")).toBe(true);
    expect(qemu.caps.get("pause-before-switchover")).toBe(true);
    await step("setup");
    await step("active");
    await call("job-complete", { id: "p" });
    expect(qemu.commandsSent()).toContain("migrate-start-postcopy");
    await step("pre-switchover");
    // Pending has no pause: the job API is stricter than QEMU here (decision 0001, tension 1).
    await expect(call("job-pause", { id: "p" })).rejects.toEqual(
      refusal("Job 'p' in state 'pending' cannot accept command verb 'pause'"),
    );
    await call("job-finalize", { id: "p" });
    expect(qemu.commandsSent()).toContain("migrate-continue");
    await step("postcopy-active");
    await expect(call("job-cancel", { id: "p" })).rejects.toEqual(
      refusal("Job 'p' in state 'pending' cannot accept command verb 'cancel'"),
    );
    await step("completed");
    expect(client.jobEvents()).toEqual([
      "status created",
      "status running",
      "sub setup",
      "status ready",
      "sub active",
      "status waiting",
      "status pending",
      "sub pre-switchover",
      // This scripted QEMU enters device on migrate-continue (as 10.0 does on the way to postcopy).
      "sub device",
      "sub postcopy-active",
      "status concluded",
      "sub completed",
    ]);
    expect(isLegalJobWalk(client.jobEvents())).toBe(true);
  });

  it("reconciles with query-migrate when QEMU changes status without an event", async () => {
    const { qemu, client, facade, call, step } = await setup();
    await call("job-migrate", { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false });
    await step("setup");
    qemu.silently("active");
    qemu.emit("MIGRATION_PASS", { pass: 1 });
    await facade.settled();
    expect(client.jobEvents().at(-1)).toBe("sub active");
  });

  it("believes query-migrate over an event that reports a change QEMU did not make", async () => {
    const { qemu, client, call, step } = await setup();
    await call("job-migrate-incoming", { "job-id": "in", uri: "unix:/x", "auto-dismiss": false });
    await step("active");
    qemu.silently("postcopy-active");
    qemu.emit("MIGRATION", { status: "postcopy-active" });
    await step("postcopy-paused");
    qemu.emit("MIGRATION", { status: "setup" }); // QEMU 7.2 on migrate-recover; it stays paused
    await step("postcopy-paused");
    expect(client.jobEvents().slice(-2)).toEqual(["status paused", "sub postcopy-paused"]);
  });

  it("polls query-migrate while a job runs, so a change without any event is still seen", async () => {
    const { qemu, client, call, step } = await setup(5);
    await call("job-migrate", { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false });
    await step("setup");
    qemu.silently("active");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.jobEvents().at(-1)).toBe("sub active");
  });

  it("pause and resume in postcopy run migrate-pause, then migrate resume=true / migrate-recover on the job's uri", async () => {
    const { qemu, call, step } = await setup();
    await call("job-migrate", { "job-id": "p", uri: "tcp:h:1", postcopy: true, "auto-dismiss": false });
    for (const s of ["setup", "active", "postcopy-active"]) await step(s);
    await call("job-pause", { id: "p" });
    expect(qemu.calls.at(-2)?.command).toBe("migrate-pause");
    await step("postcopy-paused");
    await expect(call("job-pause", { id: "p" })).rejects.toEqual(
      refusal("Job 'p' in state 'standby' cannot accept command verb 'pause'"),
    );
    await call("job-change", { id: "p", type: "migration", uri: "tcp:h:2" });
    await call("job-resume", { id: "p" });
    expect(qemu.calls.find((c) => c.args?.resume === true)?.args).toEqual({ uri: "tcp:h:2", resume: true });

    const incoming = await setup();
    await incoming.call("job-migrate-incoming", { "job-id": "in", uri: "unix:/a", "auto-dismiss": false });
    for (const s of ["active", "postcopy-active", "postcopy-paused"]) await incoming.step(s);
    await incoming.call("job-resume", { id: "in" });
    expect(incoming.qemu.calls.find((c) => c.command === "migrate-recover")?.args).toEqual({
      uri: "unix:/a",
    });
  });

  it("carries an unknown status without breaking the job, then follows the next known one", async () => {
    const { client, call, step } = await setup();
    await call("job-migrate", { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false });
    await step("setup");
    await step("active");
    await step("failing");
    const [info] = (await call("query-jobs")) as JsonObject[];
    expect(info).toMatchObject({ status: "running", substatus: "active", "unknown-status": "failing" });
    expect(info?.details).not.toHaveProperty("status");
    await step("failed");
    expect(client.jobEvents().slice(-5)).toEqual([
      "sub active",
      "sub active/failing",
      "status aborting",
      "status concluded",
      "sub failed",
    ]);
  });

  it("virtualises capability events per client: no leak into query-migrate-capabilities or MIGRATION", async () => {
    const { qemu, facade, client, call, step } = await setup();
    const watcher = new Client();
    facade.addClient(watcher);
    expect(qemu.caps.get("events")).toBe(true);
    const eventsOf = async (who: Client) => {
      const caps = (await call("query-migrate-capabilities", {}, who)) as JsonObject[];
      return caps.find((c) => c.capability === "events")?.state;
    };
    expect(await eventsOf(client)).toBe(false);
    await call(
      "migrate-set-capabilities",
      { capabilities: [{ capability: "events", state: true }] },
      watcher,
    );
    expect(await eventsOf(watcher)).toBe(true);
    expect(await eventsOf(client)).toBe(false);
    await call("job-migrate", { "job-id": "m0", uri: "tcp:h:1" });
    await step("setup");
    qemu.emit("MIGRATION_PASS", { pass: 1 });
    expect(client.named("MIGRATION")).toEqual([]);
    expect(client.named("MIGRATION_PASS")).toEqual([]);
    expect(watcher.named("MIGRATION")).toHaveLength(1);
    expect(watcher.named("MIGRATION_PASS")).toHaveLength(1);
    expect(client.jobEvents()).toEqual(watcher.jobEvents());
    // Turning it off for one client must not turn QEMU's off.
    await step("completed");
    await call(
      "migrate-set-capabilities",
      { capabilities: [{ capability: "events", state: false }] },
      watcher,
    );
    expect(qemu.caps.get("events")).toBe(true);
    expect(await eventsOf(watcher)).toBe(false);
  });

  it("job-change checks set-speed and change, sets parameters and keeps the uri", async () => {
    const { qemu, call, step } = await setup();
    await call("job-migrate", {
      "job-id": "m0",
      uri: "tcp:h:1",
      "max-bandwidth": 1000,
      "auto-dismiss": false,
    });
    expect(qemu.params["max-bandwidth"]).toBe(1000);
    await step("setup");
    await call("job-change", { id: "m0", type: "migration", "max-bandwidth": 5000, uri: "tcp:h:9" });
    expect(qemu.params["max-bandwidth"]).toBe(5000);
    const [info] = (await call("query-jobs")) as JsonObject[];
    expect(info?.uri).toBe("tcp:h:9");
    await step("failed");
    await expect(call("job-change", { id: "m0", type: "migration", "downtime-limit": 5 })).rejects.toEqual(
      refusal("Job 'm0' in state 'concluded' cannot accept command verb 'change'"),
    );
  });

  it("the incoming job sits in created while listening and runs once data arrives", async () => {
    const { qemu, client, call, step } = await setup();
    await call("job-migrate-incoming", { "job-id": "in", uri: "tcp:0:4444", "auto-dismiss": false });
    expect(qemu.commandsSent()).toContain("migrate-incoming");
    const [info] = (await call("query-jobs")) as JsonObject[];
    expect(info).toMatchObject({ status: "created", substatus: "none", direction: "incoming" });
    await step("active");
    await step("completed");
    expect(client.jobEvents()).toEqual([
      "status created",
      "status running",
      "sub active",
      "status waiting",
      "status pending",
      "status concluded",
      "sub completed",
    ]);
  });

  it("concludes a running job with a failure when QEMU goes away", async () => {
    const { qemu, facade, client, call, step } = await setup();
    await call("job-migrate-incoming", { "job-id": "in", uri: "tcp:0:4444", "auto-dismiss": false });
    await step("active");
    await qemu.close();
    await facade.settled();
    expect(client.jobEvents().slice(-3)).toEqual(["status aborting", "status concluded", "sub failed"]);
  });
});

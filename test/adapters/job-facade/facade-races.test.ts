/**
 * The job facade when something gets to QEMU first: two job creations in flight at once, and a
 * verb whose legacy command QEMU refuses because the migration moved on (another client's
 * command, QEMU's thread). Deterministic: QEMU is scripted, and what "got there first" runs
 * right before QEMU executes the command under test. The fast-check proofs of the same races
 * over the legacy model are test/conformance/race-jobs.test.ts.
 */
import { describe, expect, it } from "vitest";
import type { FacadeClient } from "../../../adapters/job-facade/clients.ts";
import { JobFacade } from "../../../adapters/job-facade/facade.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";
import type { QmpServerSession } from "../../../src/qmp/server-session.ts";
import { FakeQemu } from "./fake-qemu.ts";
import { isLegalJobWalk } from "./legal-walk.ts";

/** QEMU 7.2 announcing `setup` before it answers `migrate`, with room for a rival to go first. */
class RacyQemu extends FakeQemu {
  /** Runs once, just before QEMU executes the named command. */
  readonly before = new Map<string, () => void>();
  override async execute(command: string, args?: JsonObject): Promise<JsonValue> {
    const rival = this.before.get(command);
    this.before.delete(command);
    rival?.();
    const result = await super.execute(command, args);
    if (command === "migrate" && args?.resume !== true) this.goto("setup");
    return result;
  }
}

class Client implements FacadeClient {
  readonly negotiated = true;
  readonly received: JsonObject[] = [];
  send(message: JsonObject): void {
    this.received.push(message);
  }
  /** "id status" for every JOB_STATUS_CHANGE. */
  statuses(id?: string): string[] {
    return this.received
      .filter((m) => m.event === "JOB_STATUS_CHANGE")
      .map((m) => m.data as { id: string; status: string })
      .filter((d) => id === undefined || d.id === id)
      .map((d) => d.status);
  }
  /** Every JOB_SUBSTATUS_CHANGE's substatus. */
  substatuses(): JsonValue[] {
    return this.received
      .filter((m) => m.event === "JOB_SUBSTATUS_CHANGE")
      .map((m) => (m.data as JsonObject).substatus as JsonValue);
  }
}

async function setup() {
  const qemu = new RacyQemu();
  const facade = await JobFacade.attach(qemu, { pollIntervalMs: 0 });
  const client = new Client();
  facade.addClient(client);
  const call = async (command: string, args: JsonObject = {}): Promise<string> => {
    const context = { session: client as unknown as QmpServerSession, oob: false };
    const handler = facade.handlers[command] ?? facade.passThrough(command);
    try {
      await handler(args, context);
      return "ok";
    } catch (error) {
      return (error as { desc: string }).desc;
    } finally {
      await facade.settled();
    }
  };
  return { qemu, facade, client, call };
}

/** A destination job `in0` in postcopy-paused, waiting for migrate-recover. */
async function pausedIncoming() {
  const t = await setup();
  await t.call("job-migrate-incoming", { "job-id": "in0", uri: "tcp:h:1" });
  for (const status of ["active", "postcopy-active", "postcopy-paused"]) t.qemu.goto(status);
  await t.facade.settled();
  return t;
}

const migrate = (id: string, more: JsonObject = {}) => ({ "job-id": id, uri: "tcp:h:1", ...more });

/** A job held at the switchover point: pending, substatus pre-switchover. */
async function pendingJob(autoDismiss: boolean) {
  const t = await setup();
  await t.call("job-migrate", migrate("m0", { "auto-finalize": false, "auto-dismiss": autoDismiss }));
  t.qemu.goto("active");
  t.qemu.goto("pre-switchover");
  await t.facade.settled();
  expect(t.client.statuses("m0").at(-1)).toBe("pending");
  return t;
}

describe("job facade: two job creations in flight at once", () => {
  it("credits QEMU's setup to the job whose migrate QEMU ran; the refused one leaves no trace", async () => {
    const { client, call } = await setup();
    const [a, b] = await Promise.all([call("job-migrate", migrate("a")), call("job-migrate", migrate("b"))]);
    expect([a, b]).toEqual(["ok", "There's a migration process in progress"]);
    expect(client.statuses("a")).toEqual(["created", "running"]);
    expect(client.statuses("b")).toEqual([]);
    expect(client.received.filter((m) => (m.data as JsonObject | undefined)?.id === "b")).toEqual([]);
    expect(await call("query-jobs")).toBe("ok");
    expect(isLegalJobWalk(client.statuses("a"))).toBe(true);
  });

  it("the second of two job-migrates with one ID is refused as a job ID in use", async () => {
    const { client, call } = await setup();
    const replies = await Promise.all([call("job-migrate", migrate("a")), call("job-migrate", migrate("a"))]);
    expect(replies).toEqual(["ok", "Job ID 'a' already in use"]);
    expect(client.statuses("a")).toEqual(["created", "running"]);
  });

  it("a job that ended with no event (lost CAS) is concluded before the next start, not given its setup", async () => {
    const { qemu, facade, client, call } = await setup();
    await call("job-migrate", migrate("a", { "auto-dismiss": false }));
    qemu.goto("active");
    await facade.settled();
    qemu.silently("completed");
    expect(await call("job-migrate", migrate("b"))).toBe("ok");
    expect(client.statuses("a")).toEqual(["created", "running", "waiting", "pending", "concluded"]);
    expect(client.statuses("b")).toEqual(["created", "running"]);
  });
});

describe("job facade: a start QEMU refuses after it entered setup", () => {
  it("a bad URI: 7.2 sends setup and failed, then refuses; the job concludes with QEMU's refusal", async () => {
    const { qemu, facade, client, call } = await setup();
    const refusalText = "Parameter 'uri' expects a valid migration protocol";
    qemu.before.set("migrate", () => {
      qemu.goto("setup");
      qemu.goto("failed");
      throw new QmpError("GenericError", refusalText);
    });
    expect(await call("job-migrate", migrate("m0", { "auto-dismiss": false }))).toBe(refusalText);
    expect(client.statuses("m0")).toEqual(["created", "running", "aborting", "concluded"]);
    const [job] = facade.migrationJobs();
    expect(job).toMatchObject({ status: "concluded", substatus: "failed", error: refusalText });
  });
});

describe("job facade: a verb whose legacy command QEMU refuses because the migration moved on", () => {
  it("job-finalize after a rival cancel: the job refusal for aborting, not QEMU's legacy text", async () => {
    const { qemu, call } = await pendingJob(false);
    qemu.before.set("migrate-continue", () => qemu.goto("cancelling"));
    expect(await call("job-finalize", { id: "m0" })).toBe(
      "Job 'm0' in state 'aborting' cannot accept command verb 'finalize'",
    );
  });

  it("job-finalize after the link broke: the job refusal for concluded, once query-migrate told why", async () => {
    const { qemu, client, call } = await pendingJob(false);
    qemu.before.set("migrate-continue", () => {
      qemu.errorDesc = "Unable to write to socket: Broken pipe";
      qemu.goto("failed");
    });
    expect(await call("job-finalize", { id: "m0" })).toBe(
      "Job 'm0' in state 'concluded' cannot accept command verb 'finalize'",
    );
    expect(client.statuses("m0").slice(-2)).toEqual(["aborting", "concluded"]);
  });

  it("job-finalize after a change with no event (lost CAS): query-migrate catches the facade up", async () => {
    const { qemu, call } = await pendingJob(false);
    qemu.before.set("migrate-continue", () => qemu.silently("cancelling"));
    expect(await call("job-finalize", { id: "m0" })).toBe(
      "Job 'm0' in state 'aborting' cannot accept command verb 'finalize'",
    );
  });

  it("a job dismissed meanwhile (auto-dismiss) is not found", async () => {
    const { qemu, call } = await pendingJob(true);
    qemu.before.set("migrate-continue", () => {
      qemu.goto("cancelling");
      qemu.goto("cancelled");
    });
    expect(await call("job-finalize", { id: "m0" })).toBe("Job not found");
  });

  it("a refusal while the job still accepts the verb is the migration's own: QEMU's text as written", async () => {
    const { qemu, call } = await pendingJob(false);
    qemu.before.set("migrate-continue", () => {
      throw new QmpError("GenericError", "Migration is not allowed right now");
    });
    expect(await call("job-finalize", { id: "m0" })).toBe("Migration is not allowed right now");
  });
});

describe("job facade: an event that may be a lie, overtaken before it could be checked", () => {
  it("drops the destination's unconfirmed setup on migrate-recover when a newer event came first", async () => {
    const { qemu, facade, client } = await pausedIncoming();
    // 7.2 on migrate-recover: MIGRATION {setup} while it stays postcopy-paused; the source
    // reconnects before the facade's query-migrate is answered.
    qemu.before.set("query-migrate", () => qemu.goto("postcopy-recover"));
    qemu.emit("MIGRATION", { status: "setup" });
    await facade.settled();
    await facade.settled();
    expect(client.substatuses().slice(-2)).toEqual(["postcopy-paused", "postcopy-recover"]);
    expect(client.statuses("in0").slice(-2)).toEqual(["paused", "running"]);
  });

  it("tells an overtaken status that did happen, then the one query-migrate already reports", async () => {
    const { qemu, facade, client } = await pausedIncoming();
    // The setup check is overtaken by postcopy-recover; that event's own check is answered after
    // QEMU set postcopy-active but before it sent the event (thread vs main loop in QEMU).
    qemu.before.set("query-migrate", () => {
      qemu.goto("postcopy-recover");
      qemu.before.set("query-migrate", () => qemu.silently("postcopy-active"));
    });
    qemu.emit("MIGRATION", { status: "setup" });
    await facade.settled();
    await facade.settled();
    qemu.goto("postcopy-active");
    await facade.settled();
    expect(client.substatuses().slice(-3)).toEqual([
      "postcopy-paused",
      "postcopy-recover",
      "postcopy-active",
    ]);
  });

  it("checks each event against what came after it, even when events queued behind a slow query", async () => {
    const { qemu, facade, client } = await pausedIncoming();
    // While a reconcile's query-migrate is answered, migrate-recover's setup, postcopy-recover
    // and postcopy-active all arrive: their checks start only after it, when QEMU is already
    // in postcopy-active. That answer says nothing about setup or postcopy-recover.
    qemu.before.set("query-migrate", () => {
      qemu.emit("MIGRATION", { status: "setup" });
      qemu.goto("postcopy-recover");
      qemu.goto("postcopy-active");
    });
    qemu.emit("MIGRATION_PASS", { pass: 1 });
    for (let i = 0; i < 4; i++) await facade.settled();
    expect(client.substatuses().slice(-3)).toEqual([
      "postcopy-paused",
      "postcopy-recover",
      "postcopy-active",
    ]);
  });
});

describe("job facade: a reconcile queued between held events", () => {
  it("does not apply a status that skips over an event still waiting for its check", async () => {
    const { qemu, facade, client } = await pausedIncoming();
    // Seen on 7.2 under load: migrate-recover's false setup is held for its check, a reconcile is
    // queued behind it, and postcopy-recover and postcopy-active arrive while the check's query
    // is out, so their own checks queue behind the reconcile, whose answer is postcopy-active.
    qemu.before.set("query-migrate", () => {
      qemu.goto("postcopy-recover");
      qemu.goto("postcopy-active");
    });
    qemu.emit("MIGRATION", { status: "setup" });
    qemu.emit("MIGRATION_PASS", { pass: 2 }); // no status: queues a reconcile
    for (let i = 0; i < 4; i++) await facade.settled();
    expect(client.substatuses().slice(-3)).toEqual([
      "postcopy-paused",
      "postcopy-recover",
      "postcopy-active",
    ]);
    expect(isLegalJobWalk(client.statuses("in0"))).toBe(true);
  });
});

describe("job facade: query-jobs between QEMU's completed event and its final details", () => {
  it("shows total = current as soon as the job concludes, and the final bytes once QEMU answers", async () => {
    const { qemu, facade, call } = await setup();
    await call("job-migrate", migrate("m0", { "auto-dismiss": false }));
    qemu.ram = { transferred: 500, remaining: 500, total: 1000, "dirty-sync-count": 1, mbps: 8 };
    qemu.goto("active");
    await facade.settled();
    qemu.ram = { transferred: 1000, remaining: 0, total: 1000, "dirty-sync-count": 2, mbps: 8 };
    qemu.goto("completed");
    const progressOf = () => {
      const [job] = facade.migrationJobs();
      return [job?.status, job?.["current-progress"], job?.["total-progress"]];
    };
    expect(progressOf()).toEqual(["concluded", 500, 500]);
    await facade.settled();
    expect(progressOf()).toEqual(["concluded", 1000, 1000]);
  });
});

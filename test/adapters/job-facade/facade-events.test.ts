/**
 * When the facade's job events go out relative to QEMU's query-migrate answers: an event's
 * status is applied at once (QEMU answers query-migrate slowly mid-migration), the query only
 * checks it afterwards; only `failed` (needs error-desc) and the destination's `setup` after it
 * left `none` (QEMU 7.2's false event on migrate-recover) wait for the answer, and events after
 * a held one keep their order.
 */
import { describe, expect, it } from "vitest";
import type { FacadeClient } from "../../../adapters/job-facade/clients.ts";
import { JobFacade } from "../../../adapters/job-facade/facade.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";
import type { QmpServerSession } from "../../../src/qmp/server-session.ts";
import { FakeQemu } from "./fake-qemu.ts";
import { isLegalJobWalk } from "./legal-walk.ts";

/** A fake QEMU whose query-migrate answers can be held back, and that may report `setup` during `migrate`. */
class SlowQueryQemu extends FakeQemu {
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  setupDuringMigrate = false;
  /** Held back before `migrate` answers, after QEMU entered setup. */
  migrateAnswer: Promise<void> | undefined;
  /** `migrate` fails after QEMU reported setup (never seen from 7.2; the facade must cope). */
  migrateFailsAfterSetup = false;
  answeredQueries = 0;

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  override async execute(command: string, args?: JsonObject): Promise<JsonValue> {
    if (command === "query-migrate") {
      await this.gate;
      const answer = await super.execute(command, args);
      this.answeredQueries++;
      return answer;
    }
    const answer = await super.execute(command, args);
    if (command !== "migrate" || !this.setupDuringMigrate) return answer;
    // QEMU 7.2 enters setup (and says so) before it answers `migrate`, busy for milliseconds.
    this.goto("setup");
    await this.migrateAnswer;
    if (this.migrateFailsAfterSetup) throw new QmpError("GenericError", "Failed to connect");
    return answer;
  }
}

class Client implements FacadeClient {
  readonly negotiated = true;
  readonly received: JsonObject[] = [];
  send(message: JsonObject): void {
    this.received.push(message);
  }
  jobEvents(): string[] {
    return this.received.flatMap((m) => {
      const data = m.data as JsonObject;
      if (m.event === "JOB_STATUS_CHANGE") return [`status ${data.status}`];
      if (m.event === "JOB_SUBSTATUS_CHANGE") return [`sub ${data.substatus}`];
      return [];
    });
  }
}

async function setup() {
  const qemu = new SlowQueryQemu();
  const anomalies: string[] = [];
  const facade = await JobFacade.attach(qemu, {
    pollIntervalMs: 0,
    onAnomaly: (_id, message) => anomalies.push(message),
  });
  const client = new Client();
  facade.addClient(client);
  const context = { session: client as unknown as QmpServerSession, oob: false };
  const run = async (command: string, args: JsonObject = {}) =>
    (await (facade.handlers[command] ?? facade.passThrough(command))(args, context)) ?? {};
  const settle = async () => {
    for (let i = 0; i < 4; i++) await facade.settled();
  };
  return { qemu, facade, client, run, settle, anomalies };
}

describe("job facade event timing", () => {
  it("emits an event's status before query-migrate answers, and checks it afterwards", async () => {
    const { qemu, client, run, settle } = await setup();
    await run("job-migrate", { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false });
    qemu.goto("setup");
    await settle();
    qemu.hold();
    const queriesBefore = qemu.answeredQueries;
    qemu.goto("active");
    expect(client.jobEvents().at(-1)).toBe("sub active");
    expect(qemu.answeredQueries).toBe(queriesBefore);
    qemu.release();
    await settle();
    expect(qemu.answeredQueries).toBeGreaterThan(queriesBefore);
    expect(client.jobEvents().at(-1)).toBe("sub active");
  });

  it("a lost change after an applied event is still followed once the query answers", async () => {
    const { qemu, client, run, settle } = await setup();
    await run("job-migrate", { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false });
    qemu.hold();
    qemu.goto("setup");
    qemu.silently("active"); // QEMU moved on without an event before answering
    expect(client.jobEvents().at(-1)).toBe("sub setup");
    qemu.release();
    await settle();
    expect(client.jobEvents().at(-1)).toBe("sub active");
    expect(isLegalJobWalk(client.jobEvents())).toBe(true);
  });

  it("setup reported during migrate is emitted with the job, without waiting for query-migrate", async () => {
    const { qemu, client, run } = await setup();
    // The facade's look for a migration to adopt at attach (decision 0001, 14) is not the job's.
    const atAttach = qemu.answeredQueries;
    qemu.setupDuringMigrate = true;
    qemu.hold();
    await run("job-migrate", { "job-id": "m0", uri: "tcp:h:1" });
    expect(client.jobEvents()).toEqual(["status created", "status running", "sub setup"]);
    expect(qemu.answeredQueries).toBe(atAttach);
    qemu.release();
  });

  it("the job appears with QEMU's setup while migrate is still being answered", async () => {
    const { qemu, facade, client, run } = await setup();
    qemu.setupDuringMigrate = true;
    let answer = () => {};
    qemu.migrateAnswer = new Promise((resolve) => {
      answer = resolve;
    });
    const started = run("job-migrate", { "job-id": "m0", uri: "tcp:h:1" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(client.jobEvents()).toEqual(["status created", "status running", "sub setup"]);
    expect(facade.migrationJobs()).toEqual([expect.objectContaining({ id: "m0", status: "running" })]);
    answer();
    await started;
    expect(client.jobEvents()).toEqual(["status created", "status running", "sub setup"]);
  });

  it("a job that appeared with setup and whose migrate then fails concludes as failed", async () => {
    const { qemu, client, run, settle } = await setup();
    qemu.setupDuringMigrate = true;
    qemu.migrateFailsAfterSetup = true;
    await expect(run("job-migrate", { "job-id": "m0", uri: "tcp:h:1" })).rejects.toMatchObject({
      desc: "Failed to connect",
    });
    await settle();
    expect(client.jobEvents()).toEqual([
      "status created",
      "status running",
      "sub setup",
      "status aborting",
      "status concluded",
      "sub failed",
      "status null",
    ]);
    expect(qemu.caps.get("pause-before-switchover")).toBe(false);
  });

  it("failed waits for query-migrate, so the job's error is QEMU's error-desc", async () => {
    const { qemu, client, run, settle } = await setup();
    await run("job-migrate", { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false });
    qemu.goto("setup");
    await settle();
    qemu.hold();
    qemu.errorDesc = "Unable to write to socket: Broken pipe";
    qemu.goto("failed");
    expect(client.jobEvents().at(-1)).toBe("sub setup");
    qemu.release();
    await settle();
    expect(client.jobEvents().at(-1)).toBe("sub failed");
    const [info] = (await run("query-jobs")) as JsonObject[];
    expect(info?.error).toBe("Unable to write to socket: Broken pipe");
  });

  it("the destination's false setup is held for the query; later events wait behind it", async () => {
    const { qemu, client, run, settle, anomalies } = await setup();
    await run("job-migrate-incoming", { "job-id": "in", uri: "unix:/x", "auto-dismiss": false });
    qemu.goto("active");
    qemu.goto("postcopy-active");
    qemu.goto("postcopy-paused");
    await settle();
    const before = client.jobEvents().length;
    qemu.hold();
    qemu.emit("MIGRATION", { status: "setup" }); // 7.2 on migrate-recover; it stays paused
    qemu.goto("postcopy-recover");
    expect(client.jobEvents().length).toBe(before);
    qemu.release();
    await settle();
    const after = client.jobEvents().slice(before);
    expect(after).not.toContain("sub setup");
    expect(after.at(-1)).toBe("sub postcopy-recover");
    expect(isLegalJobWalk(client.jobEvents())).toBe(true);
    expect(anomalies.some((a) => a.includes("MIGRATION said 'setup'"))).toBe(true);
  });

  it("a job concluded by its event still gets QEMU's final details in query-jobs", async () => {
    const { qemu, run, settle } = await setup();
    await run("job-migrate", { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false });
    qemu.goto("setup");
    qemu.goto("active");
    await settle();
    qemu.ram = { ...qemu.ram, transferred: 1000, remaining: 0 };
    qemu.goto("completed");
    await settle();
    const [info] = (await run("query-jobs")) as JsonObject[];
    expect(info).toMatchObject({ status: "concluded", substatus: "completed" });
    expect(info?.details).toMatchObject({ status: "completed", ram: { remaining: 0 } });
  });
});

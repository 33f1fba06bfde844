/**
 * The job journal over a scripted QEMU: a facade attached after another one lost its connection
 * takes the job over under its id, tells its clients only what happened after the last thing the
 * old clients heard (together: the trace of one unbroken run), and concludes it as failed when
 * QEMU has no migration any more. The file journal survives a restart and ignores a bad file.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { JobFacade } from "../../../adapters/job-facade/facade.ts";
import { fileJournal, type JobJournal, memoryJournal } from "../../../adapters/job-facade/job-journal.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import type { QmpServerSession } from "../../../src/qmp/server-session.ts";
import { FakeQemu } from "./fake-qemu.ts";

class Client {
  readonly negotiated = true;
  readonly received: JsonObject[] = [];
  send(message: JsonObject): void {
    this.received.push(message);
  }
  trace(): string[] {
    return this.received.flatMap((m) => {
      const data = m.data as JsonObject;
      if (m.event === "JOB_STATUS_CHANGE") return [`status ${data.status}`];
      if (m.event === "JOB_SUBSTATUS_CHANGE") return [`sub ${data.substatus}`];
      return [];
    });
  }
}

async function facadeOn(qemu: FakeQemu, journal?: JobJournal) {
  const facade = await JobFacade.attach(qemu, { pollIntervalMs: 0, ...(journal ? { journal } : {}) });
  const client = new Client();
  facade.addClient(client);
  const call = async (command: string, args: JsonObject = {}): Promise<JsonValue> => {
    const context = { session: client as unknown as QmpServerSession, oob: false };
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
  return { facade, client, call, step };
}

const START = { "job-id": "m0", uri: "tcp:h:1", "auto-dismiss": false };
const LATER = ["pre-switchover", "device", "completed"];

/** The same migration with no break, for comparison. */
async function unbrokenTrace(): Promise<string[]> {
  const { client, call, step } = await facadeOn(new FakeQemu());
  await call("job-migrate", START);
  for (const s of ["setup", "active", ...LATER]) await step(s);
  return client.trace();
}

/** A QEMU that kept migrating: the old one's state, on a new connection. */
function sameQemu(old: FakeQemu): FakeQemu {
  const qemu = new FakeQemu();
  qemu.status = old.status;
  for (const [name, state] of old.caps) qemu.caps.set(name, state);
  return qemu;
}

describe("job journal", () => {
  it("a new facade continues the job where the old clients left off", async () => {
    const journal = memoryJournal();
    const oldQemu = new FakeQemu();
    const before = await facadeOn(oldQemu, journal);
    await before.call("job-migrate", START);
    for (const s of ["setup", "active"]) await before.step(s);
    await oldQemu.close();
    before.facade.close();
    expect(journal.load()?.told).toBe("active");

    const qemu = sameQemu(oldQemu);
    const after = await facadeOn(qemu, journal);
    const [job] = (await after.call("query-jobs")) as JsonObject[];
    expect(job).toMatchObject({ id: "m0", status: "running", substatus: "active" });
    for (const s of LATER) await after.step(s);
    const unbroken = await unbrokenTrace();
    expect(unbroken.length).toBeGreaterThan(6);
    expect(after.client.trace()[0]).toBe("status waiting");
    expect([...before.client.trace(), ...after.client.trace()]).toEqual(unbroken);
    await after.call("job-dismiss", { id: "m0" });
    expect(journal.load()).toBeUndefined();
  });

  it("a lost connection does not conclude a journaled job", async () => {
    const journal = memoryJournal();
    const qemu = new FakeQemu();
    const { client, call, step } = await facadeOn(qemu, journal);
    await call("job-migrate", START);
    await step("setup");
    await qemu.close();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(client.trace().at(-1), JSON.stringify(client.received)).toBe("sub setup");
  });

  it("a QEMU with no migration: the job concludes as failed under its id", async () => {
    const journal = memoryJournal();
    const oldQemu = new FakeQemu();
    const before = await facadeOn(oldQemu, journal);
    await before.call("job-migrate", START);
    await before.step("setup");
    await before.step("active");
    const after = await facadeOn(new FakeQemu(), journal);
    const [job] = (await after.call("query-jobs")) as JsonObject[];
    expect(job).toMatchObject({
      id: "m0",
      status: "concluded",
      substatus: "failed",
      error: "QEMU exited during the migration",
    });
  });
});

describe("file journal", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("keeps the entry across instances, forgets it, and ignores a bad file", () => {
    dir = mkdtempSync(path.join(tmpdir(), "jobshim-journal-"));
    const file = path.join(dir, "job.json");
    const options = {
      id: "m0",
      direction: "outgoing",
      postcopy: false,
      uri: "u",
      autoFinalize: true,
      autoDismiss: true,
    } as const;
    fileJournal(file).save({ options, restore: [], told: "active" });
    expect(fileJournal(file).load()).toEqual({ options, restore: [], told: "active" });
    const again = fileJournal(file);
    again.load();
    again.forget("other");
    expect(fileJournal(file).load()?.options.id).toBe("m0");
    again.forget("m0");
    expect(fileJournal(file).load()).toBeUndefined();
    writeFileSync(file, "{not json");
    expect(fileJournal(file).load()).toBeUndefined();
  });
});

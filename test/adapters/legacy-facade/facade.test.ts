/**
 * The legacy facade over a scripted job backend: legacy semantics and QEMU 7.2's texts without
 * a QEMU. (The same behaviour against real QEMU is equivalence.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { LegacyFacade } from "../../../adapters/legacy-facade/facade.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";
import type { QmpServerSession } from "../../../src/qmp/server-session.ts";
import { QmpCommandError } from "../../../src/qmp/server-session.ts";
import { FakeJobBackend } from "./fake-job-backend.ts";

class FakeClient {
  negotiated = true;
  readonly received: JsonObject[] = [];
  send(message: JsonObject): void {
    this.received.push(message);
  }
  /** MIGRATION statuses and other event names, in arrival order. */
  events(): string[] {
    return this.received.map((m) =>
      m.event === "MIGRATION" ? `MIGRATION ${(m.data as JsonObject).status}` : String(m.event),
    );
  }
}

const JOB = "legacy-migration-1";
const refusal = (desc: string) => new QmpCommandError("GenericError", desc);
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
/** Statuses a command defers until after its reply are told on the next turn of the loop. */
const afterReply = () => new Promise((resolve) => setImmediate(resolve));

async function setup(qemuVersion: JsonObject = {}, qmpSchema: JsonValue = {}) {
  const backend = new FakeJobBackend();
  backend.qemuVersion = qemuVersion;
  backend.qmpSchema = qmpSchema;
  const facade = await LegacyFacade.attach(backend, { settleTimeoutMs: 300 });
  const client = new FakeClient();
  facade.addClient(client);
  const call = async (
    command: string,
    args: JsonObject = {},
    who: FakeClient = client,
  ): Promise<JsonValue> => {
    const handler = facade.handlers[command] ?? facade.passThrough(command);
    const session = who as unknown as QmpServerSession;
    return (await handler(args, { session, oob: false })) ?? {};
  };
  const eventsOn = (who: FakeClient = client) =>
    call("migrate-set-capabilities", { capabilities: [{ capability: "events", state: true }] }, who);
  /** The next migrate holds at pre-switchover (the job's auto-finalize off). */
  const holdBeforeSwitchover = () =>
    call("migrate-set-capabilities", {
      capabilities: [{ capability: "pause-before-switchover", state: true }],
    });
  /** `migrate` as QEMU answers it: the backend reports setup before the reply. */
  const migrate = async (id = JOB) => {
    const reply = call("migrate", { uri: "tcp:h:1" });
    await tick();
    backend.sub(id, "setup");
    const value = await reply;
    await afterReply();
    return value;
  };
  return { backend, facade, client, call, eventsOn, holdBeforeSwitchover, migrate };
}

describe("legacy facade over a job backend", () => {
  it("refuses to attach to a backend without job-migrate (a legacy QEMU), saying what to do", async () => {
    const legacyQemu = new FakeJobBackend();
    legacyQemu.execute = async (command: string) => {
      if (command === "job-migrate")
        throw new QmpError("CommandNotFound", "The command job-migrate has not been found");
      return [];
    };
    await expect(LegacyFacade.attach(legacyQemu)).rejects.toThrow(/needs a job backend/);
    const { backend } = await setup();
    expect(backend.jobs.size).toBe(0); // the probe created nothing
  });

  it("migrate_cancel with no migration is {} and sends nothing to the backend", async () => {
    const { backend, call } = await setup();
    const before = backend.commandsSent().length;
    expect(await call("migrate_cancel")).toEqual({});
    expect(backend.commandsSent().length).toBe(before);
    // With no migration followed, query-migrate is the backend's own answer (decision 0001, 14).
    expect(await call("query-migrate")).toEqual({});
    expect(backend.commandsSent().slice(before)).toEqual(["query-migrate"]);
  });

  it("migrate starts a job with auto-dismiss off and auto-finalize from pause-before-switchover", async () => {
    const { holdBeforeSwitchover, backend, migrate } = await setup();
    await holdBeforeSwitchover();
    await migrate();
    const sent = backend.calls.find((c) => c.command === "job-migrate" && c.args?.["job-id"] !== undefined);
    expect(sent?.args).toEqual({
      "job-id": JOB,
      uri: "tcp:h:1",
      postcopy: false,
      "auto-finalize": false,
      "auto-dismiss": false,
    });
  });

  it("tells MIGRATION only to clients that enabled events, and setup even when the backend skipped it", async () => {
    const { backend, facade, client, call, eventsOn } = await setup();
    const silent = new FakeClient();
    facade.addClient(silent);
    await eventsOn();
    const reply = call("migrate", { uri: "tcp:h:1" });
    await tick();
    backend.sub(JOB, "active"); // the backend compressed setup away
    await reply;
    await afterReply();
    backend.emit("STOP");
    backend.sub(JOB, "completed");
    expect(client.events()).toEqual(["MIGRATION setup", "MIGRATION active", "STOP", "MIGRATION completed"]);
    expect(silent.events()).toEqual(["STOP"]); // only the capability's events are withheld
    // The migration job itself stays hidden: no JOB_* event, not in query-jobs.
    expect(await call("query-jobs")).toEqual([]);
  });

  it("a second migrate is refused with QEMU's text while one runs; set-capabilities too", async () => {
    const { backend, call, migrate } = await setup();
    await migrate();
    await expect(call("migrate", { uri: "tcp:h:2" })).rejects.toEqual(
      refusal("There's a migration process in progress"),
    );
    await expect(
      call("migrate-set-capabilities", { capabilities: [{ capability: "events", state: true }] }),
    ).rejects.toEqual(refusal("There's a migration process in progress"));
    const started = backend.calls.filter(
      (c) => c.command === "job-migrate" && c.args?.["job-id"] !== undefined,
    );
    expect(started).toHaveLength(1);
  });

  it("migrate_cancel becomes job-cancel while running, and is a silent no-op after the end", async () => {
    const { backend, call, migrate } = await setup();
    await migrate();
    backend.sub(JOB, "active");
    const reply = call("migrate_cancel");
    await tick();
    await tick();
    backend.sub(JOB, "cancelling");
    await reply;
    expect(backend.commandsSent()).toContain("job-cancel");
    backend.sub(JOB, "cancelled");
    const cancels = backend.commandsSent().length;
    expect(await call("migrate_cancel")).toEqual({});
    expect(backend.commandsSent().length).toBe(cancels);
    expect(await call("query-migrate")).toEqual({ status: "cancelled" });
  });

  it("query-migrate keeps the last status and error-desc after the job was dismissed, until the next migrate", async () => {
    const { backend, call, migrate } = await setup();
    await migrate();
    backend.sub(JOB, "failed", { "error-desc": "Unable to write to socket: Broken pipe" });
    const failed = { status: "failed", "error-desc": "Unable to write to socket: Broken pipe" };
    expect(await call("query-migrate")).toEqual(failed);
    backend.dismissBehindTheFacade(JOB);
    expect(await call("query-migrate")).toEqual(failed);
    await migrate("legacy-migration-2");
    expect(await call("query-migrate")).toEqual({ status: "setup" });
  });

  it("the next migrate dismisses the previous concluded job", async () => {
    const { backend, migrate } = await setup();
    await migrate();
    backend.sub(JOB, "completed");
    await migrate("legacy-migration-2");
    await tick();
    expect(backend.calls.find((c) => c.command === "job-dismiss")?.args).toEqual({ id: JOB });
  });

  it("a refused migrate keeps the previous migration's status", async () => {
    const { backend, call, migrate } = await setup();
    await migrate();
    backend.sub(JOB, "completed");
    backend.refuseNext = "Failed to connect";
    await expect(call("migrate", { uri: "tcp:h:2" })).rejects.toMatchObject({ desc: "Failed to connect" });
    expect(await call("query-migrate")).toEqual({ status: "completed" });
  });

  it("refuses the steering commands with QEMU 7.2's texts", async () => {
    const { backend, call, migrate } = await setup();
    // migrate-pause outside postcopy is QEMU's to refuse (its words differ by version): the
    // backend passes it to a QEMU 7.2, which refuses it so.
    backend.onCommand.set("migrate-pause", () => {
      throw new QmpError(
        "GenericError",
        "migrate-pause is currently only supported during postcopy-active state",
      );
    });
    await expect(call("migrate-continue", { state: "pre-switchover" })).rejects.toEqual(
      refusal("Migration not in expected state: none"),
    );
    await expect(call("migrate-start-postcopy")).rejects.toEqual(
      refusal("Enable postcopy with migrate_set_capability before the start of migration"),
    );
    await call("migrate-set-capabilities", { capabilities: [{ capability: "postcopy-ram", state: true }] });
    await expect(call("migrate-start-postcopy")).rejects.toEqual(
      refusal("Postcopy must be started after migration has been started"),
    );
    await expect(call("migrate-pause")).rejects.toEqual(
      refusal("migrate-pause is currently only supported during postcopy-active state"),
    );
    await expect(call("migrate-recover", { uri: "tcp:h:1" })).rejects.toEqual(
      refusal("Migrate recover can only be run when postcopy is paused."),
    );
    await expect(call("migrate", { uri: "tcp:h:1", resume: true })).rejects.toEqual(
      refusal("Cannot resume if there is no paused migration"),
    );
    await expect(call("migrate", {})).rejects.toEqual(refusal("Parameter 'uri' is missing"));
    await migrate();
    await expect(call("migrate-continue", { state: "pre-switchover" })).rejects.toEqual(
      refusal("Migration not in expected state: setup"),
    );
  });

  it("in postcopy, migrate_cancel goes to the QEMU behind the backend, which decides (7.2 obeys)", async () => {
    const { backend, call, migrate } = await setup();
    await migrate();
    backend.sub(JOB, "postcopy-active");
    backend.onCommand.set("migrate_cancel", () => backend.sub(JOB, "cancelling"));
    await expect(call("migrate_cancel")).resolves.toEqual({});
    expect(backend.commandsSent()).toContain("migrate_cancel");
    expect(backend.commandsSent()).not.toContain("job-cancel");
  });

  it("in postcopy, the QEMU behind refuses migrate_cancel in its own words (10.0)", async () => {
    const { backend, call, migrate } = await setup();
    await migrate();
    backend.sub(JOB, "postcopy-active");
    backend.onCommand.set("migrate_cancel", () => {
      throw new QmpError("GenericError", "Postcopy migration in progress, cannot cancel.");
    });
    await expect(call("migrate_cancel")).rejects.toEqual(
      refusal("Postcopy migration in progress, cannot cancel."),
    );
  });

  it("a backend without legacy commands answers as 10.0, the newest legacy QEMU", async () => {
    const { backend, call, migrate } = await setup();
    const notFound = (command: string) => () => {
      throw new QmpError("CommandNotFound", `The command ${command} has not been found`);
    };
    backend.onCommand.set("migrate_cancel", notFound("migrate_cancel"));
    backend.onCommand.set("migrate", notFound("migrate"));
    await expect(call("migrate", { uri: "tcp:h:1", inc: false })).rejects.toEqual(
      refusal("Parameter 'inc' is unexpected"),
    );
    await migrate();
    backend.sub(JOB, "postcopy-active");
    await expect(call("migrate_cancel")).rejects.toEqual(
      refusal("Postcopy migration in progress, cannot cancel."),
    );
  });

  it("a held postcopy job refuses job-pause (pending): migrate-pause goes to the QEMU behind instead", async () => {
    const { backend, call, migrate } = await setup();
    await migrate();
    backend.sub(JOB, "postcopy-active");
    backend.onCommand.set("job-pause", () => {
      throw new QmpError(
        "GenericError",
        `Job '${JOB}' in state 'pending' cannot accept command verb 'pause'`,
      );
    });
    backend.onCommand.set("migrate-pause", () => backend.sub(JOB, "postcopy-paused"));
    await expect(call("migrate-pause")).resolves.toEqual({});
    expect(backend.commandsSent().slice(-2)).toEqual(["job-pause", "migrate-pause"]);
  });

  it("migrate with blk or inc goes to the QEMU behind as it is: no job-migrate, QEMU's refusal unchanged", async () => {
    const { backend, call } = await setup();
    backend.onCommand.set("migrate", () => {
      throw new QmpError("GenericError", "Parameter 'blk' is unexpected");
    });
    await expect(call("migrate", { uri: "tcp:h:1", blk: true })).rejects.toEqual(
      refusal("Parameter 'blk' is unexpected"),
    );
    expect(backend.calls.filter((c) => c.command === "migrate").map((c) => c.args)).toEqual([
      { uri: "tcp:h:1", blk: true },
    ]);
    expect(backend.calls.filter((c) => c.command === "job-migrate" && c.args?.["job-id"])).toEqual([]);
  });

  it("query-migrate-capabilities shows each client its own events and the job options it set", async () => {
    const { backend, call, eventsOn } = await setup();
    const other = new FakeClient();
    await eventsOn();
    await call("migrate-set-capabilities", { capabilities: [{ capability: "postcopy-ram", state: true }] });
    backend.caps.set("postcopy-ram", false); // e.g. a job put it back
    const state = async (who: FakeClient, name: string) =>
      ((await call("query-migrate-capabilities", {}, who)) as JsonObject[]).find((c) => c.capability === name)
        ?.state;
    expect(await state(new FakeClient(), "events")).toBe(false);
    expect(await state(other, "events")).toBe(false);
    expect(await state(other, "postcopy-ram")).toBe(true);
    expect(backend.caps.get("events")).toBe(true); // the facade's own subscription
  });

  it("an incoming setup reaches every client over QEMU 7.2 (or no version), only those with events over 10.0", async () => {
    const cases = [
      [{}, ["MIGRATION setup"]],
      [{ qemu: { major: 7, minor: 2, micro: 0 }, package: "" }, ["MIGRATION setup"]],
      [{ qemu: { major: 10, minor: 0, micro: 2 }, package: "" }, []],
    ] as const;
    for (const [version, seen] of cases) {
      const { backend, client, call } = await setup(version);
      const reply = call("migrate-incoming", { uri: "tcp:0:1" });
      await tick();
      backend.sub(JOB, "setup");
      await reply;
      await afterReply();
      backend.sub(JOB, "active");
      expect(client.events(), JSON.stringify(version)).toEqual(seen);
    }
  });

  it("never tells a status the backend's schema lacks (libvirt fails on one); tells it without a schema", async () => {
    const statuses = ["none", "setup", "active", "completed"];
    const schema = [
      { name: "query-migrate", "meta-type": "command", "arg-type": "0", "ret-type": "1" },
      { name: "1", "meta-type": "object", members: [{ name: "status", type: "2" }] },
      { name: "2", "meta-type": "enum", values: statuses },
    ];
    for (const [qmpSchema, seen] of [
      [schema, ["MIGRATION setup", "MIGRATION active", "MIGRATION completed"]],
      [{}, ["MIGRATION setup", "MIGRATION active", "MIGRATION x-future", "MIGRATION completed"]],
    ] as const) {
      const { backend, client, eventsOn, migrate } = await setup({}, qmpSchema as unknown as JsonValue);
      await eventsOn();
      await migrate();
      for (const status of ["active", "x-future", "completed"]) backend.sub(JOB, status);
      await afterReply();
      expect(client.events()).toEqual(seen);
    }
  });

  it("a listening destination reports status setup over QEMU 10.0, only its address over 7.2", async () => {
    for (const [major, minor, expected] of [
      [7, 2, { "socket-address": [] }],
      [10, 0, { "socket-address": [], status: "setup" }],
    ] as const) {
      const { backend, call } = await setup({ qemu: { major, minor, micro: 0 }, package: "" });
      const reply = call("migrate-incoming", { uri: "tcp:0:1" });
      await tick();
      backend.sub(JOB, "setup", { "socket-address": [] });
      await reply;
      expect(await call("query-migrate"), `${major}.${minor}`).toEqual(expected);
    }
  });

  it("a failure the backend invented for a vanished QEMU is not told; one QEMU announced is", async () => {
    for (const qemuSaidIt of [false, true]) {
      const { backend, client, call, eventsOn } = await setup();
      await eventsOn();
      const reply = call("migrate", { uri: "tcp:h:1" });
      await tick();
      backend.emit("MIGRATION", { status: "setup" }); // the backend relays QEMU's own events
      backend.sub(JOB, "setup");
      await reply;
      await afterReply();
      if (qemuSaidIt) backend.emit("MIGRATION", { status: "failed" });
      backend.sub(JOB, "failed", { "error-desc": "QEMU exited during the migration" });
      expect(client.events()).toEqual(
        qemuSaidIt ? ["MIGRATION setup", "MIGRATION failed"] : ["MIGRATION setup"],
      );
    }
  });

  it("holds a passed-through event until the status QEMU sent before it is told", async () => {
    const { backend, client, call, eventsOn, migrate } = await setup();
    await eventsOn();
    await migrate();
    backend.emit("MIGRATION", { status: "postcopy-active" });
    backend.emit("STOP"); // overtakes the backend's slower JOB_SUBSTATUS_CHANGE
    expect(client.events()).toEqual(["MIGRATION setup"]);
    backend.sub(JOB, "postcopy-active");
    expect(client.events()).toEqual(["MIGRATION setup", "MIGRATION postcopy-active", "STOP"]);
    expect(await call("query-migrate")).toEqual({ status: "postcopy-active" });
  });

  it("a query-jobs answer read after a newer substatus event does not take the status back", async () => {
    const { backend, client, call, eventsOn, migrate } = await setup();
    await eventsOn();
    await migrate();
    backend.sub(JOB, "active");
    backend.sub(JOB, "postcopy-active");
    backend.sub(JOB, "postcopy-paused");
    backend.sub(JOB, "postcopy-recover");
    // The answer says postcopy-recover; the event behind it in the same read is handled first.
    const answer = backend.execute.bind(backend);
    backend.execute = async (command, args) => {
      const value = await answer(command, args);
      if (command === "query-jobs") backend.sub(JOB, "postcopy-active");
      return value;
    };
    expect(await call("query-migrate")).toMatchObject({ status: "postcopy-active" });
    expect(client.events().slice(-2)).toEqual(["MIGRATION postcopy-recover", "MIGRATION postcopy-active"]);
  });

  it("statuses the backend reports before its job-migrate reply are told after migrate's reply", async () => {
    const { backend, client, call, eventsOn } = await setup();
    await eventsOn();
    const reply = call("migrate", { uri: "tcp:h:1" }).then(() => client.send({ event: "REPLY" }));
    await tick();
    backend.sub(JOB, "setup");
    backend.sub(JOB, "active");
    backend.emit("STOP");
    await reply;
    await afterReply();
    expect(client.events()).toEqual(["MIGRATION setup", "REPLY", "MIGRATION active", "STOP"]);
  });

  it("migrate_cancel answers after cancelling and before cancelled, even when the backend skips cancelling", async () => {
    const { backend, client, call, eventsOn, migrate } = await setup();
    await eventsOn();
    await migrate();
    backend.sub(JOB, "active");
    const reply = call("migrate_cancel").then(() => client.send({ event: "REPLY" }));
    await tick();
    backend.sub(JOB, "cancelled");
    await reply;
    await afterReply();
    expect(client.events().slice(2)).toEqual(["MIGRATION cancelling", "REPLY", "MIGRATION cancelled"]);
  });

  it("a second migrate_cancel while cancelling repeats cancelling, as QEMU's same-status change does", async () => {
    const { backend, client, call, eventsOn, migrate } = await setup();
    await eventsOn();
    await migrate();
    backend.sub(JOB, "cancelling");
    await tick();
    await call("migrate_cancel");
    await afterReply();
    expect(client.events().filter((e) => e === "MIGRATION cancelling")).toEqual([
      "MIGRATION cancelling",
      "MIGRATION cancelling",
    ]);
    expect(backend.commandsSent().filter((c) => c === "job-cancel")).toEqual([]);
  });

  it("migrate-start-postcopy in setup answers {} at once and switches with job-complete once active (QEMU 7.2 keeps the request)", async () => {
    const { backend, call, migrate } = await setup();
    const completes = () => backend.calls.filter((c) => c.command === "job-complete").map((c) => c.args);
    await call("migrate-set-capabilities", { capabilities: [{ capability: "postcopy-ram", state: true }] });
    await migrate();
    expect(await call("migrate-start-postcopy")).toEqual({});
    expect(completes()).toEqual([]); // the job API has no postcopy switch before active
    backend.sub(JOB, "active");
    await tick();
    expect(completes()).toEqual([{ id: JOB }]);
    backend.sub(JOB, "postcopy-active");
    await tick();
    expect(completes()).toHaveLength(1);
  });

  it("a postcopy request dies with its migration: none for a cancelled one's successor, none after the end", async () => {
    const { backend, call, migrate } = await setup();
    await call("migrate-set-capabilities", { capabilities: [{ capability: "postcopy-ram", state: true }] });
    await migrate();
    await call("migrate-start-postcopy");
    backend.sub(JOB, "cancelling");
    backend.sub(JOB, "cancelled");
    await migrate("legacy-migration-2");
    backend.sub("legacy-migration-2", "active");
    backend.sub("legacy-migration-2", "completed");
    expect(await call("migrate-start-postcopy")).toEqual({}); // QEMU accepts it after the end
    await tick();
    expect(backend.commandsSent()).not.toContain("job-complete");
  });

  it("migrate-continue overtaken by a cancel gets QEMU's 'not in expected state', not the job API's refusal", async () => {
    const verbRefused = (status: string) =>
      new QmpError("GenericError", `Job '${JOB}' in state '${status}' cannot accept command verb 'finalize'`);
    const cases = [
      { said: true, jobStatus: "aborting", now: "cancelling" },
      // No event before the refusal: the facade asks the backend where the job is.
      { said: false, jobStatus: "concluded", now: "cancelled" },
    ];
    for (const { said, jobStatus, now } of cases) {
      const { holdBeforeSwitchover, backend, call, migrate } = await setup();
      await holdBeforeSwitchover();
      await migrate();
      backend.sub(JOB, "pre-switchover");
      backend.onCommand.set("job-finalize", () => {
        if (said) backend.sub(JOB, now);
        else Object.assign(backend.jobs.get(JOB) ?? {}, { substatus: now, status: jobStatus });
        throw verbRefused(jobStatus);
      });
      await expect(call("migrate-continue", { state: "pre-switchover" })).rejects.toEqual(
        refusal(`Migration not in expected state: ${now}`),
      );
    }
  });

  it("migrate-continue passes QEMU's own refusal through unchanged", async () => {
    const { holdBeforeSwitchover, backend, call, migrate } = await setup();
    await holdBeforeSwitchover();
    await migrate();
    backend.sub(JOB, "pre-switchover");
    backend.onCommand.set("job-finalize", () => {
      throw new QmpError("GenericError", "Device 'virtio-net' refused to switch over");
    });
    await expect(call("migrate-continue", { state: "pre-switchover" })).rejects.toEqual(
      refusal("Device 'virtio-net' refused to switch over"),
    );
  });

  it("a status told before its reply waits behind statuses another command holds back (QEMU's order)", async () => {
    const { holdBeforeSwitchover, backend, client, call, eventsOn, migrate } = await setup();
    await eventsOn();
    await holdBeforeSwitchover();
    await migrate();
    backend.sub(JOB, "active");
    backend.sub(JOB, "pre-switchover");
    // QEMU: continue answered, its thread enters device, then the cancel enters cancelling.
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const execute = backend.execute.bind(backend);
    backend.execute = async (command, args) => {
      if (command === "job-finalize") {
        backend.sub(JOB, "device"); // reported while continue's window is open
        await gate;
      }
      return execute(command, args);
    };
    backend.onCommand.set("job-cancel", () => backend.sub(JOB, "cancelling"));
    const continued = call("migrate-continue", { state: "pre-switchover" });
    await tick();
    const cancelled = call("migrate_cancel");
    await tick();
    release();
    await Promise.all([continued, cancelled]);
    await afterReply();
    expect(client.events().slice(-2)).toEqual(["MIGRATION device", "MIGRATION cancelling"]);
  });

  it("a status held back by a command whose reply never comes still reaches clients when the facade closes", async () => {
    const { holdBeforeSwitchover, backend, client, call, eventsOn, migrate, facade } = await setup();
    await eventsOn();
    await holdBeforeSwitchover();
    await migrate();
    backend.sub(JOB, "active");
    backend.sub(JOB, "pre-switchover");
    // The backend reports failed while continue's quiet window is open, then never answers.
    const execute = backend.execute.bind(backend);
    backend.execute = async (command, args) => {
      if (command !== "job-finalize") return execute(command, args);
      backend.sub(JOB, "failed", { "error-desc": "Unable to write to socket: Broken pipe" });
      return new Promise<JsonValue>(() => {});
    };
    void call("migrate-continue", { state: "pre-switchover" }).catch(() => undefined);
    await tick();
    await afterReply();
    expect(client.events()).not.toContain("MIGRATION failed");
    facade.close();
    expect(client.events().at(-1)).toBe("MIGRATION failed");
  });

  it("a command sent while a migrate is in flight sees the state after it, as QEMU runs one at a time", async () => {
    const { backend, call } = await setup();
    const started = call("migrate", { uri: "tcp:h:1" });
    const continued = call("migrate-continue", { state: "pre-switchover" });
    await tick();
    backend.sub(JOB, "setup");
    await started;
    await expect(continued).rejects.toEqual(refusal("Migration not in expected state: setup"));
  });

  it("migrate-start-postcopy sent while a migrate QEMU then refuses is in flight is refused", async () => {
    const { backend, call } = await setup();
    await call("migrate-set-capabilities", { capabilities: [{ capability: "postcopy-ram", state: true }] });
    backend.refuseNext = "Failed to connect";
    const started = call("migrate", { uri: "tcp:h:1" });
    const postcopy = call("migrate-start-postcopy");
    await expect(started).rejects.toMatchObject({ desc: "Failed to connect" });
    await expect(postcopy).rejects.toEqual(
      refusal("Postcopy must be started after migration has been started"),
    );
  });

  it("two clients' migrates at once: one runs, the other is refused, and the one running stays visible", async () => {
    const { backend, client, call, eventsOn } = await setup();
    await eventsOn();
    const first = call("migrate", { uri: "tcp:h:1" });
    const second = call("migrate", { uri: "tcp:h:2" });
    await tick();
    backend.sub(JOB, "setup");
    await first;
    await expect(second).rejects.toEqual(refusal("There's a migration process in progress"));
    await afterReply();
    backend.sub(JOB, "active");
    expect(client.events()).toEqual(["MIGRATION setup", "MIGRATION active"]);
    expect(await call("query-migrate")).toEqual({ status: "active" });
    const starts = backend.calls.filter((c) => c.command === "job-migrate" && c.args?.["job-id"]);
    expect(starts).toHaveLength(1); // the second was refused by the facade, as QEMU refuses it
  });

  it("a destination listening shows its address in query-migrate but no status (7.2's state is still none)", async () => {
    const { backend, call } = await setup();
    const address = [{ type: "inet", host: "0", port: "1" }];
    const reply = call("migrate-incoming", { uri: "tcp:0:1" });
    await tick();
    backend.sub(JOB, "setup", { "socket-address": address });
    await reply;
    expect(await call("query-migrate")).toEqual({ "socket-address": address });
    backend.sub(JOB, "active", { "socket-address": address });
    expect(await call("query-migrate")).toEqual({ status: "active", "socket-address": address });
  });

  it("a start the backend refuses after announcing its job leaves no job behind", async () => {
    const { backend, call } = await setup();
    const execute = backend.execute.bind(backend);
    backend.execute = async (command, args) => {
      const value = await execute(command, args);
      if (command !== "job-migrate-incoming") return value;
      backend.sub(JOB, "setup"); // QEMU 7.2 announces setup before it looks at the URI
      backend.sub(JOB, "failed");
      throw new QmpError("GenericError", "unknown migration protocol: foo:bar");
    };
    await expect(call("migrate-incoming", { uri: "foo:bar" })).rejects.toMatchObject({
      desc: "unknown migration protocol: foo:bar",
    });
    expect(backend.jobs.size).toBe(0);
    expect(await call("query-jobs")).toEqual([]);
    expect(await call("query-migrate")).toEqual({});
  });

  it("a migrate the source refuses after entering setup reports that failed migration, with no job left", async () => {
    const { backend, client, call, eventsOn } = await setup();
    await eventsOn();
    const execute = backend.execute.bind(backend);
    backend.execute = async (command, args) => {
      const value = await execute(command, args);
      if (command !== "job-migrate" || !args?.["job-id"]) return value;
      backend.sub(JOB, "setup"); // QEMU 7.2: setup, then failed, then the refusal
      backend.sub(JOB, "failed");
      throw new QmpError("GenericError", "Parameter 'uri' expects a valid migration protocol");
    };
    await expect(call("migrate", { uri: "bogus:/x" })).rejects.toMatchObject({
      desc: "Parameter 'uri' expects a valid migration protocol",
    });
    await afterReply();
    expect(client.events()).toEqual(["MIGRATION setup", "MIGRATION failed"]);
    expect(await call("query-migrate")).toEqual({ status: "failed" });
    expect(backend.jobs.size).toBe(0);
  });
});

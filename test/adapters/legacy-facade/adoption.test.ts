/**
 * The legacy facade sees every migration of its backend (decision 0001, 14; issue 12): a
 * migration job it did not start — another job client's, or one the job facade adopted — is the
 * migration its legacy clients see, with QEMU's events and query-migrate, and no job events.
 */
import { describe, expect, it } from "vitest";
import { LegacyFacade } from "../../../adapters/legacy-facade/facade.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import type { QmpServerSession } from "../../../src/qmp/server-session.ts";
import { FakeJobBackend } from "./fake-job-backend.ts";

class FakeClient {
  negotiated = true;
  readonly received: JsonObject[] = [];
  send(message: JsonObject): void {
    this.received.push(message);
  }
  events(): string[] {
    return this.received.map((m) =>
      m.event === "MIGRATION" ? `MIGRATION ${(m.data as JsonObject).status}` : String(m.event),
    );
  }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

async function setup(backend = new FakeJobBackend()) {
  const facade = await LegacyFacade.attach(backend, { settleTimeoutMs: 300 });
  const client = new FakeClient();
  facade.addClient(client);
  const call = async (command: string, args: JsonObject = {}): Promise<JsonValue> => {
    const handler = facade.handlers[command] ?? facade.passThrough(command);
    return (await handler(args, { session: client as unknown as QmpServerSession, oob: false })) ?? {};
  };
  await call("migrate-set-capabilities", { capabilities: [{ capability: "events", state: true }] });
  return { backend, facade, client, call };
}

describe("legacy facade: migrations it did not start", () => {
  it("another job client's migration is told as QEMU's migration, whatever its id", async () => {
    const { backend, client, call } = await setup();
    await backend.execute("job-migrate", { "job-id": "m0", uri: "tcp:h:1" });
    backend.sub("m0", "setup");
    await settle();
    backend.sub("m0", "active", { ram: { transferred: 5 } });
    await settle();
    expect(client.events()).toEqual(["MIGRATION setup", "MIGRATION active"]);
    expect(await call("query-migrate")).toMatchObject({ status: "active", ram: { transferred: 5 } });
    expect(await call("query-jobs")).toEqual([]);
    await expect(call("migrate", { uri: "tcp:h:2" })).rejects.toMatchObject({
      desc: "There's a migration process in progress",
    });
    await call("migrate_cancel");
    expect(backend.calls.find((c) => c.command === "job-cancel")?.args).toEqual({ id: "m0" });
  });

  it("a block job's events pass once query-jobs says it is no migration", async () => {
    const { backend, client } = await setup();
    backend.emit("JOB_STATUS_CHANGE", { id: "mirror0", status: "created" });
    backend.emit("JOB_STATUS_CHANGE", { id: "mirror0", status: "running" });
    await settle();
    expect(client.events()).toEqual(["JOB_STATUS_CHANGE", "JOB_STATUS_CHANGE"]);
    expect(client.received.map((m) => (m.data as JsonObject).status)).toEqual(["created", "running"]);
  });

  it("a destination listening when the facade attaches answers with its address and no status", async () => {
    const backend = new FakeJobBackend();
    const address = [{ type: "inet", host: "127.0.0.1", port: "4444" }];
    await backend.execute("job-migrate-incoming", { "job-id": "migration-incoming", uri: "tcp:127.0.0.1:0" });
    backend.sub("migration-incoming", "setup", { "socket-address": address });
    const job = backend.jobs.get("migration-incoming");
    if (job) job.direction = "incoming";
    const { client, call } = await setup(backend);
    expect(await call("query-migrate")).toEqual({ "socket-address": address });
    backend.sub("migration-incoming", "active");
    await settle();
    // Nothing told twice: the listening state was QEMU's before this client came.
    expect(client.events()).toEqual(["MIGRATION active"]);
  });
});

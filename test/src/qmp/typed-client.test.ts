import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { JobInfo, MigrationInfo, QObj_JOB_STATUS_CHANGEArg } from "../../../src/generated/types.ts";
import { generatedArgumentValidator } from "../../../src/qmp/argument-validator.ts";
import { connectQmp, type QmpClient, QmpServer, typedClient } from "../../../src/qmp/index.ts";
import { connectTyped, type JobshimClient } from "../../../src/qmp/typed-client.ts";

/** A hand-written map of the shape `src/generated/types.ts` emits. */
interface Commands {
  "query-status": { args: Record<string, never>; ret: { status: string; running: boolean } };
  "job-cancel": { args: { id: string; force?: boolean }; ret: Record<string, never> };
}
interface Events {
  JOB_STATUS_CHANGE: { id: string; status: string };
  STOP: Record<string, never>;
}

describe("typedClient", () => {
  const server = new QmpServer({
    handlers: { "query-status": () => ({ status: "paused", running: false }), "job-cancel": () => undefined },
  });
  let client: QmpClient;
  beforeAll(async () => {
    const listener = await server.listen("tcp:127.0.0.1:0");
    client = await connectQmp(listener.address);
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it("types arguments, results and events from the maps", async () => {
    const qmp = typedClient<Commands, Events>(client);
    const status = await qmp.execute("query-status");
    expectTypeOf(status).toEqualTypeOf<{ status: string; running: boolean }>();
    expect(status).toEqual({ status: "paused", running: false });
    expect(await qmp.execute("job-cancel", { id: "j" })).toEqual({});
    // @ts-expect-error: job-cancel requires its arguments
    void qmp.execute("job-cancel").catch(() => {});
    // @ts-expect-error: not a command of the map
    void qmp.execute("nonexistent").catch(() => {});
    const events = qmp.eventsOf("JOB_STATUS_CHANGE");
    server.emitEvent("JOB_STATUS_CHANGE", { id: "j", status: "running" });
    const next = await events.next();
    if (next.done) throw new Error("event stream ended");
    const value = next.value;
    expectTypeOf(value.data).toEqualTypeOf<{ id: string; status: string }>();
    expect(value.data).toEqual({ id: "j", status: "running" });
  });
});

/** What the generated maps (src/generated/types.ts) make of the client; tsc checks the types. */
describe("typedClient over the generated QmpCommands and QmpEvents", () => {
  const job: JobInfo = {
    id: "m0",
    type: "mirror",
    status: "running",
    "current-progress": 1,
    "total-progress": 2,
  };
  const server = new QmpServer({
    handlers: {
      "query-jobs": () => [job],
      "query-migrate": () => ({ status: "active" }),
      "block-job-set-speed": () => undefined,
      "job-cancel": () => undefined,
      "migrate-continue": () => undefined,
    },
    validate: generatedArgumentValidator(),
  });
  let qmp: JobshimClient;
  beforeAll(async () => {
    const listener = await server.listen("tcp:127.0.0.1:0");
    qmp = await connectTyped(listener.address);
  });
  afterAll(async () => {
    await qmp.close();
    await server.close();
  });

  it("types results from the schema: query-jobs is JobInfo[]", async () => {
    const jobs = await qmp.execute("query-jobs");
    expectTypeOf(jobs).toEqualTypeOf<JobInfo[]>();
    expect(jobs).toEqual([job]);
    expectTypeOf(qmp.execute("query-migrate")).resolves.toEqualTypeOf<MigrationInfo>();
    expect(await qmp.execute("query-migrate")).toEqual({ status: "active" });
    expectTypeOf(qmp.execute("block-job-set-speed", { device: "m0", speed: 0 })).resolves.toEqualTypeOf<
      Record<string, never>
    >();
  });

  it("makes wrong arguments compile errors, and the server refuses them as QEMU would", async () => {
    // @ts-expect-error: speed is an integer, not a string
    const wrongType = qmp.execute("block-job-set-speed", { device: "m0", speed: "fast" });
    await expect(wrongType).rejects.toMatchObject({
      errorClass: "GenericError",
      desc: "Invalid parameter type for 'speed', expected: integer",
    });
    // @ts-expect-error: device is required
    const missing = qmp.execute("block-job-set-speed", { speed: 1 });
    await expect(missing).rejects.toMatchObject({ desc: "Parameter 'device' is missing" });
    // @ts-expect-error: job-cancel takes no 'force'
    const extra = qmp.execute("job-cancel", { id: "j", force: true });
    await expect(extra).rejects.toMatchObject({ desc: "Parameter 'force' is unexpected" });
    // @ts-expect-error: 'bogus' is no MigrationStatus
    const badEnum = qmp.execute("migrate-continue", { state: "bogus" });
    await expect(badEnum).rejects.toMatchObject({ desc: "Parameter 'state' does not accept value 'bogus'" });
    // @ts-expect-error: not a command of jobshim's schema
    await expect(qmp.execute("no-such-command")).rejects.toMatchObject({ errorClass: "CommandNotFound" });
  });

  it("types event data from the schema", async () => {
    const events = qmp.eventsOf(["JOB_STATUS_CHANGE", "STOP"]);
    server.emitEvent("JOB_STATUS_CHANGE", { id: "m0", status: "ready" });
    const next = await events.next();
    if (next.done) throw new Error("event stream ended");
    const event = next.value;
    if (event.event === "JOB_STATUS_CHANGE")
      expectTypeOf(event.data).toEqualTypeOf<QObj_JOB_STATUS_CHANGEArg>();
    expect(event).toMatchObject({ event: "JOB_STATUS_CHANGE", data: { id: "m0", status: "ready" } });
    // @ts-expect-error: not an event of jobshim's schema
    qmp.eventsOf("NO_SUCH_EVENT");
  });

  it("defaults to the generated maps when wrapping an existing client", () => {
    const wrapped = typedClient(qmp.client);
    expectTypeOf(wrapped).toEqualTypeOf<JobshimClient>();
    expect(wrapped.client).toBe(qmp.client);
  });
});

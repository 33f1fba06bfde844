import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { connectQmp, type QmpClient, QmpServer, typedClient } from "../../../src/qmp/index.ts";

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

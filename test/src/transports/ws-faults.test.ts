/**
 * The client's WebSocket transport under faults a real server can produce, scripted with msw's
 * WebSocket interception: no greeting, a close mid-message, garbage frames, delayed and
 * out-of-order replies, and a close with calls pending. Each case checks the error a user sees.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectQmp, type QmpClient, QmpConnectionError, QmpTimeoutError } from "../../../src/qmp/index.ts";
import { GREETING, reply, type ScriptedClient, startMswQmp } from "../../helpers/msw-qmp.ts";

const URL = "ws://qmp.test:4444";
let msw: ReturnType<typeof startMswQmp>;
const clients: QmpClient[] = [];

beforeAll(() => {
  msw = startMswQmp(URL);
});
afterEach(async () => {
  msw.server.resetHandlers();
  await Promise.all(clients.splice(0).map((client) => client.close()));
});
afterAll(() => msw.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Greets and answers qmp_capabilities, then hands the connection to `then`. */
function negotiated(then: (client: ScriptedClient) => void | Promise<void>) {
  msw.serve((client) => {
    client.send(GREETING);
    void client.nextRequest().then(async (caps) => {
      client.send(reply(caps.id));
      await then(client);
    });
  });
}

async function connect(timeoutMs = 2000): Promise<QmpClient> {
  const client = await connectQmp(URL, { timeoutMs });
  clients.push(client);
  return client;
}

describe("WebSocket client transport faults (msw)", () => {
  it("talks QMP through the interceptor when nothing goes wrong (the baseline the faults break)", async () => {
    negotiated(async (server) => {
      const request = await server.nextRequest();
      server.send(reply(request.id, { status: "running", running: true }));
    });
    const client = await connect();
    expect(await client.execute("query-status")).toEqual({ status: "running", running: true });
    expect(client.greeting.QMP.version.package).toBe("msw");
  });

  it("gives up with a clear error when the server never sends the greeting", async () => {
    msw.serve(() => {});
    const started = Date.now();
    const failure = await connectQmp(URL, { timeoutMs: 150 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QmpConnectionError);
    expect((failure as Error).message).toBe(
      "QMP handshake with ws://qmp.test:4444 failed: no QMP greeting within 150 ms",
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("fails the handshake when the server closes before answering qmp_capabilities", async () => {
    msw.serve((client) => {
      client.send(GREETING);
      void client.nextRequest().then(() => client.close(1011, "negotiation broke"));
    });
    const failure = await connectQmp(URL, { timeoutMs: 2000 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QmpConnectionError);
    expect((failure as Error).message).toMatch(
      /^QMP handshake with ws:\/\/qmp\.test:4444 failed: .*'qmp_capabilities' was pending.*1011.*negotiation broke/,
    );
  });

  it("rejects the pending call when the server closes in the middle of a reply", async () => {
    negotiated(async (server) => {
      const request = await server.nextRequest();
      server.send(reply(request.id, { status: "running" }).slice(0, 17));
      server.close(1011, "gone mid-message");
    });
    const client = await connect();
    const failure = await client.execute("query-status").catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(QmpConnectionError);
    expect((failure as Error).message).toBe(
      "QMP connection to ws://qmp.test:4444 closed while 'query-status' was pending: " +
        "WebSocket closed with code 1011 (gone mid-message)",
    );
    expect(client.connected).toBe(false);
  });

  it("reassembles a reply split across frames, one byte per frame", async () => {
    negotiated(async (server) => {
      const request = await server.nextRequest();
      for (const byte of Buffer.from(reply(request.id, { split: "ünïcode" })))
        server.send(Uint8Array.of(byte));
    });
    const client = await connect();
    expect(await client.execute("query-status")).toEqual({ split: "ünïcode" });
  });

  it("survives garbage frames (text and invalid UTF-8) and still matches the real reply", async () => {
    negotiated(async (server) => {
      const request = await server.nextRequest();
      server.send("this is not JSON\r\n");
      server.send(Uint8Array.of(0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a));
      server.send("]]]\r\n");
      server.send(reply(request.id, { after: "garbage" }));
    });
    const client = await connect();
    expect(await client.execute("query-status")).toEqual({ after: "garbage" });
    expect(client.connected).toBe(true);
  });

  it("waits for a delayed reply, and times a call out with QmpTimeoutError when told to", async () => {
    negotiated(async (server) => {
      const slow = await server.nextRequest();
      await sleep(150);
      server.send(reply(slow.id, "late but fine"));
      const tooSlow = await server.nextRequest();
      const next = await server.nextRequest();
      server.send(reply(next.id, "next"));
      await sleep(100);
      server.send(reply(tooSlow.id, "too late")); // must be dropped, not given to anyone
    });
    const client = await connect();
    expect(await client.execute("query-status")).toBe("late but fine");
    const timedOut = client.execute("query-status", undefined, { timeoutMs: 50 }).catch((e: unknown) => e);
    const next = client.execute("query-name");
    const failure = await timedOut;
    expect(failure).toBeInstanceOf(QmpTimeoutError);
    expect((failure as Error).message).toBe("QMP command 'query-status' got no reply within 50 ms");
    expect(await next).toBe("next");
    await sleep(150);
    expect(client.connected).toBe(true);
  });

  it("matches out-of-order replies to their calls by id", async () => {
    negotiated(async (server) => {
      const first = await server.nextRequest();
      const second = await server.nextRequest();
      server.send(reply(second.id, "second"));
      await sleep(20);
      server.send(reply(first.id, "first"));
    });
    const client = await connect();
    const results = await Promise.all([client.execute("query-status"), client.execute("query-name")]);
    expect(results).toEqual(["first", "second"]);
  });

  it("rejects every pending call, naming each, when the server closes", async () => {
    let seen = 0;
    negotiated(async (server) => {
      for (; seen < 3; seen++) await server.nextRequest();
      server.close(1001, "going away");
    });
    const client = await connect();
    const calls = ["query-status", "query-jobs", "query-migrate"].map((command) =>
      client.execute(command).catch((error: unknown) => error),
    );
    const failures = await Promise.all(calls);
    expect(seen).toBe(3);
    expect(failures.map((f) => (f as Error).message)).toEqual(
      ["query-status", "query-jobs", "query-migrate"].map(
        (command) =>
          `QMP connection to ws://qmp.test:4444 closed while '${command}' was pending: ` +
          "WebSocket closed with code 1001 (going away)",
      ),
    );
    for (const failure of failures) expect(failure).toBeInstanceOf(QmpConnectionError);
    await expect(client.execute("query-status")).rejects.toThrow("not connected to ws://qmp.test:4444");
  });

  it("treats a normal close with calls pending as a drop too, without inventing a cause", async () => {
    negotiated(async (server) => {
      await server.nextRequest();
      server.close();
    });
    const client = await connect();
    await expect(client.execute("query-status")).rejects.toThrow(
      /^QMP connection to ws:\/\/qmp\.test:4444 closed while 'query-status' was pending$/,
    );
  });
});

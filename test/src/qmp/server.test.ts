/**
 * jobshim's own QMP server and client together, over each transport (WebSocket included; QEMU
 * 7.2 answers it only after an I/O-thread wake-up, see qemu-live.test.ts): negotiation state, dispatch, validation hook, events only
 * to negotiated sessions, OOB overtaking in-band work, and the client's timeouts, aborts,
 * dropped connections and reconnects.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  connectQmp,
  type JsonValue,
  QmpCommandError,
  QmpConnectionError,
  QmpError,
  QmpServer,
  QmpTimeoutError,
} from "../../../src/qmp/index.ts";
import { RawQmpSession } from "../../helpers/raw-qmp-session.ts";

const dir = mkdtempSync(path.join(tmpdir(), "jobshim-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function makeServer() {
  let release: () => void = () => {};
  const server = new QmpServer({
    handlers: {
      echo: (args) => args,
      nothing: () => undefined,
      fail: () => {
        throw new QmpCommandError("DeviceNotFound", "Device 'x' not found");
      },
      slow: (): Promise<JsonValue> =>
        new Promise((resolve) => {
          release = () => resolve({ slow: true });
        }),
      never: (): Promise<JsonValue> => new Promise(() => {}),
      ping: (): JsonValue => "pong",
    },
    oobCommands: ["ping"],
    validate: (command, args) =>
      command === "echo" && "bad" in args
        ? { class: "GenericError", desc: "Parameter 'bad' is unexpected" }
        : undefined,
    clock: () => 1_700_000_000_123_456,
  });
  return { server, release: () => release() };
}

describe.each([
  ["unix", (): string => `unix:${path.join(dir, `s-${Math.random().toString(36).slice(2)}.sock`)}`],
  ["tcp", (): string => "tcp:127.0.0.1:0"],
  ["ws", (): string => "ws://127.0.0.1:0"],
] as const)("jobshim server and client over %s", (_name, address) => {
  const { server, release } = makeServer();
  let where: string;
  beforeAll(async () => {
    const listener = await server.listen(address());
    const a = listener.address;
    where =
      a.kind === "unix"
        ? `unix:${a.path}`
        : a.kind === "tcp"
          ? `tcp:${a.host}:${a.port}`
          : `ws://${a.host}:${a.port}`;
  });
  afterAll(() => server.close());

  it("negotiates OOB and dispatches to handlers, echoing arguments", async () => {
    const client = await connectQmp(where);
    expect(client.oobEnabled).toBe(true);
    expect(await client.execute("echo", { a: [1, "b", null] })).toEqual({ a: [1, "b", null] });
    expect(await client.execute("nothing")).toEqual({});
    await client.close();
  });

  it("turns handler errors, unknown commands and validation failures into QmpError", async () => {
    const client = await connectQmp(where);
    await expect(client.execute("fail")).rejects.toMatchObject({
      errorClass: "DeviceNotFound",
      desc: "Device 'x' not found",
    });
    await expect(client.execute("nope")).rejects.toMatchObject({
      errorClass: "CommandNotFound",
      desc: "The command nope has not been found",
    });
    const invalid = await client.execute("echo", { bad: 1 }).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(QmpError);
    expect(invalid).toMatchObject({ desc: "Parameter 'bad' is unexpected" });
    await client.close();
  });

  it("lets an OOB command overtake a slow in-band one, and refuses OOB where not allowed", async () => {
    const client = await connectQmp(where);
    const order: string[] = [];
    const slow = client.execute("slow").then(() => order.push("slow"));
    await new Promise((r) => setTimeout(r, 20));
    await client.execute("ping", undefined, { oob: true }).then(() => order.push("ping"));
    release();
    await slow;
    expect(order).toEqual(["ping", "slow"]);
    await expect(client.execute("echo", {}, { oob: true })).rejects.toMatchObject({
      desc: "The command echo does not support OOB",
    });
    await client.close();
  });

  it("sends events to negotiated sessions only, with the injected clock's timestamp", async () => {
    const client = await connectQmp(where);
    const events = client.eventsOf("JOB_STATUS_CHANGE");
    server.emitEvent("STOP");
    server.emitEvent("JOB_STATUS_CHANGE", { id: "j", status: "running" });
    expect((await events.next()).value).toEqual({
      event: "JOB_STATUS_CHANGE",
      data: { id: "j", status: "running" },
      timestamp: { seconds: 1_700_000_000, microseconds: 123_456 },
    });
    await client.close();
  });

  it("times out and aborts single calls without breaking the connection", async () => {
    const client = await connectQmp(where);
    await expect(client.execute("never", undefined, { timeoutMs: 50 })).rejects.toBeInstanceOf(
      QmpTimeoutError,
    );
    const controller = new AbortController();
    const aborted = client.execute("never", undefined, { signal: controller.signal });
    controller.abort(new Error("user gave up"));
    await expect(aborted).rejects.toThrow("user gave up");
    // In-band work is answered in order, as in QEMU, so "never" still blocks in-band
    // commands; the connection itself is fine, as an OOB command shows.
    expect(await client.execute("ping", undefined, { oob: true })).toBe("pong");
    await client.close();
  });
});

describe("unnegotiated sessions and dropped connections", () => {
  it("refuses commands before negotiation and ignores a second negotiation, in QEMU's words", async () => {
    const { server } = makeServer();
    const listener = await server.listen(`unix:${path.join(dir, "raw.sock")}`);
    const raw = await RawQmpSession.open((listener.address as { path: string }).path);
    try {
      expect(await raw.exchange(undefined, 1)).toEqual([
        '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "jobshim"}, "capabilities": ["oob"]}}',
      ]);
      server.emitEvent("STOP");
      expect(await raw.exchange('{"execute":"echo","id":1}', 1)).toEqual([
        '{"id": 1, "error": {"class": "CommandNotFound", "desc": "Expecting capabilities negotiation with \'qmp_capabilities\'"}}',
      ]);
      expect(await raw.exchange('{"execute":"qmp_capabilities"}{"execute":"qmp_capabilities"}', 2)).toEqual([
        '{"return": {}}',
        '{"error": {"class": "CommandNotFound", "desc": "Capabilities negotiation is already complete, command ignored"}}',
      ]);
    } finally {
      raw.close();
      await server.close();
    }
  });

  it("rejects pending calls with a clear error when the server goes away", async () => {
    const { server } = makeServer();
    const listener = await server.listen("tcp:127.0.0.1:0");
    const client = await connectQmp(listener.address);
    const pending = client.execute("never");
    await new Promise((r) => setTimeout(r, 20));
    await server.close();
    const failure = await pending.catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(QmpConnectionError);
    expect(String(failure)).toMatch(/closed while 'never' was pending/);
    await client.close();
  });

  it("reconnects with backoff and carries on", async () => {
    const socket = `unix:${path.join(dir, "reconnect.sock")}`;
    const first = makeServer().server;
    await first.listen(socket);
    const client = await connectQmp(socket, {
      reconnect: { retries: 20, initialDelayMs: 20, maxDelayMs: 100 },
    });
    await first.close();
    while (client.connected) await new Promise((r) => setTimeout(r, 5));
    const second = makeServer().server;
    await second.listen(socket);
    try {
      expect(await client.execute("ping", undefined, { timeoutMs: 5000 })).toBe("pong");
    } finally {
      await client.close();
      await second.close();
    }
  });

  it("fails to connect with a message naming the address", async () => {
    await expect(connectQmp(`unix:${path.join(dir, "absent.sock")}`)).rejects.toThrow(
      /cannot connect to unix:.*absent\.sock/,
    );
  });
});

/**
 * A client that stops reading is disconnected once its unread output passes the server's bound,
 * with the reason reported; a client that reads gets every event; a transport that cannot tell
 * what is unread is never cut off.
 */
import { describe, expect, it } from "vitest";
import { QmpServer } from "../../../src/qmp/server.ts";
import { BaseConnection } from "../../../src/transports/byte-connection.ts";

/** An in-memory connection whose peer reads (drains) or not. */
class FakeConnection extends BaseConnection {
  readonly written: string[] = [];
  unread = 0;
  constructor(
    description: string,
    private readonly reads: boolean | "unknown",
  ) {
    super(description);
  }
  write(text: string): void {
    this.written.push(text);
    if (this.reads === false) this.unread += Buffer.byteLength(text);
  }
  get pendingWriteBytes(): number | undefined {
    return this.reads === "unknown" ? undefined : this.unread;
  }
  close(): void {
    this.ended();
  }
  negotiate(): void {
    this.received(Buffer.from('{"execute":"qmp_capabilities"}\n'));
  }
}

describe("per-client output bound", () => {
  it("drops only the client that stops reading, once, with the reason", async () => {
    const dropped: string[] = [];
    const server = new QmpServer({
      handlers: {},
      maxPendingOutputBytes: 2000,
      onClientDropped: (who, why) => dropped.push(`${who}: ${why}`),
    });
    const slow = new FakeConnection("slow", false);
    const reader = new FakeConnection("reader", true);
    const opaque = new FakeConnection("opaque", "unknown");
    for (const connection of [slow, reader, opaque]) {
      server.attach(connection);
      connection.negotiate();
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 0; i < 100; i++) server.emitEvent("TICK", { n: i });

    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatch(/^slow: it stopped reading: \d+ bytes of output unread, limit 2000$/);
    expect(slow.closed).toBe(true);
    // At most the bound plus the one message that crossed it was ever queued.
    expect(slow.unread).toBeLessThan(2000 + 200);
    expect(server.sessionCount).toBe(2);
    const ticks = (c: FakeConnection) => c.written.filter((t) => t.includes('"TICK"')).length;
    expect(ticks(reader)).toBe(100);
    expect(ticks(opaque)).toBe(100);
  });
});

describe("a reply larger than the bound", () => {
  /** A peer that has read `taken` bytes of what was written to it so far. */
  class LazyReader extends BaseConnection {
    written = 0;
    taken = 0;
    write(text: string): void {
      this.written += text.length;
    }
    get pendingWriteBytes(): number {
      return this.written - this.taken;
    }
    close(): void {
      this.ended();
    }
    request(text: string): void {
      this.received(Buffer.from(text));
    }
  }

  function serve(limit: number, dropped: string[]) {
    return new QmpServer({
      handlers: { "echo-big": () => Promise.resolve("x".repeat(10_000)) },
      maxPendingOutputBytes: limit,
      onClientDropped: (who, why) => dropped.push(`${who}: ${why}`),
    });
  }

  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

  it("drains on top of the bound: a client that reads it keeps its connection", async () => {
    const dropped: string[] = [];
    const server = serve(2000, dropped);
    const client = new LazyReader("reader");
    server.attach(client);
    client.request('{"execute":"qmp_capabilities"}\n{"execute":"echo-big","id":1}\n');
    await settle();
    // Still reading the big reply: small messages behind it stay within the bound.
    for (let i = 0; i < 10; i++) server.emitEvent("TICK", { n: i });
    client.taken = client.written;
    for (let i = 0; i < 10; i++) server.emitEvent("TICK", { n: i });
    expect(dropped).toEqual([]);
    expect(client.closed).toBe(false);
  });

  it("does not widen the bound once it is read, nor for a client that never reads it", async () => {
    const dropped: string[] = [];
    const server = serve(2000, dropped);
    const [afterReading, never] = [new LazyReader("after"), new LazyReader("never")];
    for (const client of [afterReading, never]) {
      server.attach(client);
      client.request('{"execute":"qmp_capabilities"}\n{"execute":"echo-big","id":1}\n');
    }
    await settle();
    afterReading.taken = afterReading.written;
    for (let i = 0; i < 200; i++) server.emitEvent("TICK", { n: i });
    expect(dropped.map((line) => line.split(":")[0]).sort()).toEqual(["after", "never"]);
    // Each within the bound plus its largest unread message plus the one that crossed the bound.
    expect(afterReading.pendingWriteBytes).toBeLessThan(2000 + 200);
    expect(never.pendingWriteBytes).toBeLessThan(2000 + 10_100 + 200);
  });
});

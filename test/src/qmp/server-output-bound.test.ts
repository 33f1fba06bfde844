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

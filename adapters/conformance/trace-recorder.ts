/**
 * Records what one legacy QMP client sees, in wire order: each reply to its own commands and
 * every event, as they arrive on its one connection. Wire order matters: a client library may
 * reorder events against replies, the server does not, and the trace compares servers.
 */
import { JsonFramer } from "../../src/qmp/json-framer.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../src/qmp/json-value.ts";
import { parseAddress } from "../../src/transports/address.ts";
import type { ByteConnection } from "../../src/transports/byte-connection.ts";
import { connectTransport } from "../../src/transports/connect.ts";

export type Side = "source" | "destination";

export type TraceEntry =
  | { kind: "reply"; command: string; return: JsonValue }
  | { kind: "error"; command: string; class: string; desc: string }
  | { kind: "event"; event: string; data?: JsonObject; timestamp?: JsonValue }
  | { kind: "snapshot"; label: string; info: JsonValue };

/** A reply the caller can inspect: the same thing the trace keeps. */
export type Reply = Extract<TraceEntry, { kind: "reply" | "error" }>;

export class RecordingSession {
  readonly entries: TraceEntry[] = [];
  private readonly framer = new JsonFramer();
  private readonly waiting: { command: string; record: boolean; resolve: (reply: Reply) => void }[] = [];
  private readonly greeting: Promise<void>;
  private greeted: () => void = () => {};
  private closedFlag = false;
  private readonly closeWaiters: (() => void)[] = [];

  private constructor(private readonly connection: ByteConnection) {
    // Set up before listening: data that arrived early is handed over at once.
    this.greeting = new Promise<void>((resolve) => {
      this.greeted = resolve;
    });
    connection.onData((chunk) => this.receive(chunk));
    connection.onClose(() => this.closed());
  }

  /** Connects and negotiates; nothing of the negotiation is recorded. */
  static async open(address: string): Promise<RecordingSession> {
    const connection = await connectTransport(parseAddress(address), { timeoutMs: 10_000 });
    const session = new RecordingSession(connection);
    await session.greeting;
    await session.execute("qmp_capabilities", undefined, { record: false });
    return session;
  }

  /**
   * Runs a command; a QMP error is returned (and recorded), not thrown. `record: false` keeps
   * the reply out of the trace (polling for a scenario's waits: QEMU's monitor takes only one
   * client, so the client under test does its own polling).
   */
  execute(command: string, args?: JsonObject, options: { record?: boolean } = {}): Promise<Reply> {
    if (this.closedFlag) return Promise.resolve(gone(command));
    const request: JsonObject =
      args === undefined ? { execute: command } : { execute: command, arguments: args };
    const record = options.record ?? true;
    const reply = new Promise<Reply>((resolve) => this.waiting.push({ command, record, resolve }));
    this.connection.write(`${JSON.stringify(request)}\n`);
    return reply;
  }

  /** Adds a query-migrate snapshot under a checkpoint label. */
  async snapshot(label: string): Promise<void> {
    const reply = await this.execute("query-migrate", undefined, { record: false });
    this.entries.push({ kind: "snapshot", label, info: reply.kind === "reply" ? reply.return : reply.desc });
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  close(): Promise<void> {
    if (this.closedFlag) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    this.connection.close();
    return done;
  }

  private receive(chunk: Buffer): void {
    for (const framed of this.framer.push(chunk)) {
      if (!framed.ok || !isJsonObject(framed.value)) continue;
      this.message(framed.value);
    }
  }

  private message(message: JsonObject): void {
    if ("QMP" in message) {
      this.greeted();
      return;
    }
    if (typeof message.event === "string") {
      const entry: TraceEntry = { kind: "event", event: message.event, timestamp: message.timestamp ?? null };
      if (isJsonObject(message.data)) entry.data = message.data;
      this.entries.push(entry);
      return;
    }
    const pending = this.waiting.shift();
    if (!pending) return;
    const reply: Reply = isJsonObject(message.error)
      ? {
          kind: "error",
          command: pending.command,
          class: String(message.error.class),
          desc: String(message.error.desc),
        }
      : { kind: "reply", command: pending.command, return: message.return ?? {} };
    if (pending.record) this.entries.push(reply);
    pending.resolve(reply);
  }

  private closed(): void {
    this.closedFlag = true;
    for (const pending of this.waiting.splice(0)) pending.resolve(gone(pending.command));
    for (const waiter of this.closeWaiters.splice(0)) waiter();
  }
}

/** The connection went away before the reply: recorded like an error so the trace shows it. */
function gone(command: string): Reply {
  return { kind: "error", command, class: "ConnectionClosed", desc: "connection closed" };
}

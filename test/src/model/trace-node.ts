/**
 * Test-only: one QMP connection whose whole conversation is kept as a trace — commands sent,
 * replies and events received, in the order the bytes arrived on the socket — normalised so that
 * two servers can be compared: timestamps dropped, numbers in counters replaced by `#`, object keys
 * sorted (QEMU orders them by hash), socket paths replaced by `PATH`.
 */
import { connect, type Socket } from "node:net";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import { parseAddress } from "../../../src/transports/address.ts";

/**
 * The errno text of a write to a peer that died depends on how far its exit got (QEMU 7.2
 * reports either); it is one fact: the connection broke.
 */
const SOCKET_ERRORS = /Unable to write to socket: (Broken pipe|Connection reset by peer)/g;

/** Members whose number is a measure (bytes, time, rate), not a fact of the protocol. */
const KEPT_NUMBERS = new Set(["pass"]);

export function normalise(value: JsonValue, key = ""): JsonValue {
  if (typeof value === "number") return KEPT_NUMBERS.has(key) ? value : "#";
  if (typeof value === "string")
    return key === "path" || key === "uri"
      ? "PATH"
      : value.replace(SOCKET_ERRORS, "Unable to write to socket: <broken>");
  if (Array.isArray(value)) return value.map((v) => normalise(v, key));
  if (value === null || typeof value !== "object") return value;
  const out: JsonObject = {};
  for (const k of Object.keys(value).sort()) out[k] = normalise(value[k] as JsonValue, k);
  return out;
}

export interface Received {
  event?: string;
  data?: JsonObject;
  return?: JsonValue;
  error?: { class: string; desc: string };
}

export class TraceNode {
  readonly trace: string[] = [];
  readonly received: Received[] = [];
  private buffer = "";
  private wake: (() => void) | undefined;
  private replies: Received[] = [];
  /** Commands sent and not answered yet. */
  private pending = 0;
  /**
   * Events that arrived while a command was pending. QEMU's migration and job threads race the
   * main loop's reply, so such an event may come before or after the reply on one run or the
   * next; the trace puts it after the reply, in arrival order.
   */
  private held: string[] = [];

  private constructor(
    readonly name: string,
    private readonly socket: Socket,
  ) {
    socket.setEncoding("utf8");
    socket.on("data", (text: string) => this.take(text));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      this.trace.push(...this.held.splice(0), "x connection closed");
      this.wake?.();
    });
  }

  /** The server went away (QEMU 7.2's destination exits when an incoming migration fails). */
  closed = false;

  static async open(name: string, address: string): Promise<TraceNode> {
    const parsed = parseAddress(address);
    const socket =
      parsed.kind === "unix"
        ? connect({ path: parsed.path })
        : connect({
            host: parsed.kind === "tcp" ? parsed.host : "",
            port: parsed.kind === "tcp" ? parsed.port : 0,
          });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const node = new TraceNode(name, socket);
    await node.until(() => node.received.length > 0, "greeting", 5000);
    node.received.length = 0;
    node.trace.length = 0;
    await node.exec("qmp_capabilities");
    node.trace.length = 0;
    return node;
  }

  private take(text: string): void {
    this.buffer += text;
    for (let end = this.buffer.indexOf("\r\n"); end >= 0; end = this.buffer.indexOf("\r\n")) {
      const message = JSON.parse(this.buffer.slice(0, end)) as JsonObject;
      this.buffer = this.buffer.slice(end + 2);
      if ("QMP" in message) {
        this.received.push({});
        continue;
      }
      const received = message as Received;
      this.received.push(received);
      if (received.event !== undefined) {
        const data = received.data === undefined ? "" : ` ${JSON.stringify(normalise(received.data))}`;
        const line = `! ${received.event}${data}`;
        if (this.pending > 0) this.held.push(line);
        else this.trace.push(line);
      } else {
        this.replies.push(received);
        this.pending = Math.max(0, this.pending - 1);
        this.trace.push(
          received.error
            ? `< error ${received.error.class}: ${received.error.desc}`
            : `< ${JSON.stringify(normalise(received.return ?? {}))}`,
          ...this.held.splice(0),
        );
      }
    }
    this.wake?.();
  }

  /** Sends a command, records it and its reply; resolves with the reply. */
  async exec(command: string, args?: JsonObject, note = true): Promise<Received> {
    if (note) this.trace.push(`> ${command}${args ? ` ${JSON.stringify(normalise(args))}` : ""}`);
    const before = this.replies.length;
    const at = this.trace.length;
    if (this.closed) return {};
    this.pending++;
    this.socket.write(JSON.stringify(args ? { execute: command, arguments: args } : { execute: command }));
    await this.until(() => this.replies.length > before || this.closed, `reply to ${command}`, 15_000);
    if (!note)
      this.trace.splice(at, this.trace.length - at, ...this.trace.slice(at).filter((l) => l.startsWith("!")));
    return this.replies[before] ?? {};
  }

  /** Sends commands in one write (so nothing can happen between them on the server's side). */
  async execMany(commands: [string, JsonObject?][]): Promise<void> {
    const before = this.replies.length;
    for (const [command, args] of commands)
      this.trace.push(`> ${command}${args ? ` ${JSON.stringify(normalise(args))}` : ""}`);
    this.pending += commands.length;
    this.socket.write(
      commands.map(([c, a]) => JSON.stringify(a ? { execute: c, arguments: a } : { execute: c })).join(""),
    );
    await this.until(() => this.replies.length >= before + commands.length, "replies", 15_000);
  }

  /** Waits for an event (with `status` when given), looking at everything received so far. */
  async event(name: string, status?: string, timeoutMs = 30_000): Promise<void> {
    await this.until(
      () =>
        this.received.some((r) => r.event === name && (status === undefined || r.data?.status === status)),
      `${this.name}: event ${name} ${status ?? ""}`,
      timeoutMs,
    );
  }

  /** Polls query-migrate, unrecorded, until its status is one of `statuses`. */
  async pollStatus(statuses: string[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const reply = await this.exec("query-migrate", undefined, false);
      const status = (reply.return as JsonObject | undefined)?.status;
      if (typeof status === "string" && statuses.includes(status)) return;
      if (Date.now() > deadline) throw new Error(`${this.name}: status never reached ${statuses}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async until(probe: () => boolean, what: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!probe()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out waiting for ${what}\n${this.trace.join("\n")}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(left, 100));
      });
    }
  }

  /** Waits a little for stragglers (events that follow the last reply). */
  async settle(ms = 300): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
  }

  close(): void {
    this.socket.destroy();
  }
}

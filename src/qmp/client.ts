/**
 * A QMP client for any transport: negotiates capabilities, correlates replies by id, turns
 * error replies into QmpError, streams events, and optionally reconnects with backoff.
 */

import { formatAddress, parseAddress, type QmpAddress } from "../transports/address.ts";
import type { ByteConnection } from "../transports/byte-connection.ts";
import { type ConnectOptions, connectTransport } from "../transports/connect.ts";
import { closeDescriptors, descriptorPassingUnavailable, fdPassingAddon } from "../transports/fd-passing.ts";
import { type EventFilter, EventStream } from "./event-stream.ts";
import type { FramerLimits } from "./json-framer.ts";
import type { JsonObject, JsonValue } from "./json-value.ts";
import { stringifyExact } from "./number-literal.ts";
import { LineFramer } from "./plain-line.ts";
import { isEvent, isGreeting, isReply, type QmpEvent, type QmpGreeting, type QmpReply } from "./protocol.ts";
import { QmpConnectionError, QmpError, QmpTimeoutError } from "./qmp-error.ts";
import { rememberRawText } from "./raw-json.ts";

export interface ReconnectOptions {
  /** Attempts after a drop before giving up; default 5. */
  retries?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export interface ConnectQmpOptions {
  /** Limit for connecting, receiving the greeting and negotiating; default 10 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Ask for the "oob" capability when the server offers it; default true. */
  oob?: boolean;
  reconnect?: ReconnectOptions | boolean;
  limits?: FramerLimits;
}

export interface ExecuteOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Send as `exec-oob` (the command must allow it and OOB must be enabled). */
  oob?: boolean;
  /**
   * Keep the server's text of the return value with it (raw-json.ts), so a proxy can relay it
   * as written; the value is then frozen and must not be changed.
   */
  raw?: boolean;
  /**
   * File descriptors to send with the command's bytes (SCM_RIGHTS), as QEMU's Python client's
   * `send_fd_scm`: for `getfd` and `add-fd`. Unix sockets only. They stay the caller's: the
   * client sends copies, so the caller may close them as soon as `execute` returns.
   */
  descriptors?: readonly number[];
}

/** `ready` while no reconnection ever happened: calls need not wait for it. */
const CONNECTED: Promise<void> = Promise.resolve();
const NO_OPTIONS: ExecuteOptions = {};

/**
 * A command held back so that descriptors reach QEMU with the right command: QEMU keeps the
 * descriptors of its last read that had any until a command takes them, and replaces them with
 * the next ones that arrive, so a command with descriptors goes out only once the previous one
 * with descriptors has been answered (taken), and every later command keeps its place behind it.
 */
interface HeldCommand {
  id: number;
  line: string;
  descriptors: number[] | undefined;
}

interface Pending {
  command: string;
  raw: boolean;
  resolve: (value: JsonValue) => void;
  reject: (error: Error) => void;
}

/** One live transport connection with its framer, greeting and reply routing. */
class Link {
  greeting: QmpGreeting | undefined;
  private readonly framer: LineFramer;
  private greeted: ((greeting: QmpGreeting) => void) | undefined;
  private dropped: ((error: Error) => void) | undefined;

  constructor(
    readonly connection: ByteConnection,
    limits: FramerLimits | undefined,
    private readonly onMessage: (message: JsonValue, text: string | undefined) => void,
    onClose: (error?: Error) => void,
  ) {
    this.framer = new LineFramer(limits);
    connection.onData((chunk) => this.receive(chunk));
    connection.onClose((error) => {
      this.dropped?.(error ?? new Error("closed before the greeting"));
      onClose(error);
    });
  }

  waitGreeting(): Promise<QmpGreeting> {
    if (this.greeting) return Promise.resolve(this.greeting);
    return new Promise((resolve, reject) => {
      this.greeted = resolve;
      this.dropped = reject;
    });
  }

  private receive(chunk: Buffer): void {
    for (const framed of this.framer.push(chunk)) {
      if (!framed.ok) continue; // a server never sends bad JSON; nothing to answer it with
      if (!this.greeting && isGreeting(framed.value)) {
        this.greeting = framed.value;
        this.greeted?.(framed.value);
      } else this.onMessage(framed.value, framed.text);
    }
  }
}

export class QmpClient {
  private link: Link | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly events = new EventStream();
  private readonly eventListeners = new Set<(event: QmpEvent) => void>();
  private nextId = 1;
  private closing = false;
  private ready: Promise<void> = CONNECTED;
  /** Commands waiting behind one with descriptors; empty unless descriptors are in play. */
  private held: HeldCommand[] = [];
  /** The id of the last command sent with descriptors until it is answered. */
  private descriptorsInFlight: number | undefined;
  /** True when OOB was negotiated on the current connection. */
  oobEnabled = false;

  private constructor(
    readonly address: QmpAddress,
    private readonly options: ConnectQmpOptions,
  ) {}

  static async connect(address: string | QmpAddress, options: ConnectQmpOptions = {}): Promise<QmpClient> {
    const parsed = typeof address === "string" ? parseAddress(address) : address;
    const client = new QmpClient(parsed, options);
    await client.open();
    return client;
  }

  /** Whether a connection is up right now (false while reconnecting). */
  get connected(): boolean {
    return this.link !== undefined && !this.link.connection.closed;
  }

  /** Whether `execute` can send descriptors on the current connection (unix, addon built). */
  get carriesDescriptors(): boolean {
    return this.link?.connection.carriesDescriptors === true;
  }

  get greeting(): QmpGreeting {
    if (!this.link?.greeting) throw new QmpConnectionError(`not connected to ${formatAddress(this.address)}`);
    return this.link.greeting;
  }

  /** Runs a command and resolves with its `return` value; a QMP error rejects with QmpError. */
  execute(command: string, args?: JsonObject, options: ExecuteOptions = NO_OPTIONS): Promise<JsonValue> {
    // A client that never lost its connection sends at once (a proxy relays every request
    // through here); after a drop, calls queue behind the reconnection, in call order.
    if (this.ready === CONNECTED) return this.send(command, args, options);
    return this.ready.then(() => this.send(command, args, options));
  }

  /** Events from now on, optionally only those named or matching a predicate. */
  eventsOf(filter?: EventFilter): AsyncIterableIterator<QmpEvent> {
    return this.events.subscribe(filter);
  }

  /**
   * Calls `listener` with every event synchronously, as it is read: before any reply read after
   * it settles its call. For code that must see events and replies in stream order (the job
   * facade: an answer to a query sent before an event must not override it). Returns `stop`.
   */
  onEvent(listener: (event: QmpEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closing = true;
    const link = this.link;
    this.link = undefined;
    this.failPending(
      new QmpConnectionError(`QMP connection to ${formatAddress(this.address)} was closed by the client`),
    );
    this.dropHeld();
    this.events.end();
    if (link && !link.connection.closed) {
      const gone = new Promise<void>((resolve) => link.connection.onClose(() => resolve()));
      link.connection.close();
      await gone;
    }
  }

  private async open(): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    const connectOptions: ConnectOptions = { timeoutMs, signal: this.options.signal };
    const connection = await connectTransport(this.address, connectOptions);
    const link = new Link(
      connection,
      this.options.limits,
      (m, text) => this.route(m, text),
      (e) => this.lost(link, e),
    );
    this.link = link;
    try {
      const greeting = await withTimeout(link.waitGreeting(), timeoutMs, "no QMP greeting");
      const wantOob = this.options.oob !== false && greeting.QMP.capabilities.includes("oob");
      await this.send("qmp_capabilities", wantOob ? { enable: ["oob"] } : undefined, { timeoutMs });
      this.oobEnabled = wantOob;
    } catch (error) {
      connection.close();
      const why = error instanceof Error ? error.message : String(error);
      throw new QmpConnectionError(`QMP handshake with ${formatAddress(this.address)} failed: ${why}`, {
        cause: error,
      });
    }
  }

  private send(command: string, args: JsonObject | undefined, options: ExecuteOptions): Promise<JsonValue> {
    const link = this.link;
    if (!link || link.connection.closed)
      return Promise.reject(new QmpConnectionError(`not connected to ${formatAddress(this.address)}`));
    if (options.descriptors !== undefined && options.descriptors.length > 0)
      return this.sendWithDescriptors(link, command, args, options, options.descriptors);
    const id = this.nextId++;
    // QEMU treats a missing `arguments` as `{}`, but answers ~60 µs sooner without one (7.2,
    // bench/README.md); a proxy relaying a request that had none must not add one.
    return new Promise<JsonValue>((resolve, reject) => {
      // Inside the executor: arguments that cannot be written (a BigInt) reject the call.
      const line = requestLine(options.oob ? "exec-oob" : "execute", command, id, args);
      if (options.signal === undefined && options.timeoutMs === undefined) {
        // Nothing to arm or disarm: the call settles only by its reply or the connection's end.
        this.pending.set(id, { command, raw: options.raw === true, resolve, reject });
        if (this.held.length === 0) link.connection.write(line);
        else this.held.push({ id, line, descriptors: undefined });
        return;
      }
      const cleanup = guardCall(command, options, (error) => {
        this.pending.delete(id);
        reject(error);
      });
      if (!cleanup) return;
      this.pending.set(id, {
        command,
        raw: options.raw === true,
        resolve: (value) => {
          cleanup();
          resolve(value);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      });
      if (this.held.length === 0) link.connection.write(line);
      else this.held.push({ id, line, descriptors: undefined });
    });
  }

  private sendWithDescriptors(
    link: Link,
    command: string,
    args: JsonObject | undefined,
    options: ExecuteOptions,
    descriptors: readonly number[],
  ): Promise<JsonValue> {
    const where = formatAddress(this.address);
    if (!link.connection.carriesDescriptors || !fdPassingAddon) {
      const why = descriptorPassingUnavailable ?? `${where} is not a unix socket`;
      return Promise.reject(new QmpConnectionError(`cannot pass file descriptors to ${where}: ${why}`));
    }
    const copies: number[] = [];
    for (const fd of descriptors) {
      const copy = fdPassingAddon.dup(fd);
      if (copy < 0) {
        closeDescriptors(copies);
        return Promise.reject(new Error(`cannot pass file descriptor ${fd} to ${where}: errno ${-copy}`));
      }
      copies.push(copy);
    }
    const id = this.nextId++;
    return new Promise<JsonValue>((resolve, reject) => {
      let line: string;
      try {
        line = requestLine(options.oob ? "exec-oob" : "execute", command, id, args);
      } catch (error) {
        closeDescriptors(copies);
        throw error;
      }
      const cleanup = guardCall(command, options, (error) => {
        this.pending.delete(id);
        reject(error);
      });
      if (!cleanup) {
        closeDescriptors(copies);
        return;
      }
      const settle = { command, raw: options.raw === true };
      this.pending.set(id, {
        ...settle,
        resolve: (value) => {
          cleanup();
          resolve(value);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      });
      const held: HeldCommand = { id, line, descriptors: copies };
      if (this.held.length === 0 && this.descriptorsInFlight === undefined) this.transmit(link, held);
      else this.held.push(held);
    });
  }

  private transmit(link: Link, command: HeldCommand): void {
    const connection = link.connection;
    if (command.descriptors === undefined || !connection.writeWithDescriptors) {
      if (command.descriptors) closeDescriptors(command.descriptors);
      connection.write(command.line);
      return;
    }
    this.descriptorsInFlight = command.id;
    connection.writeWithDescriptors(command.line, command.descriptors);
  }

  /** Sends what waited behind an answered command with descriptors, up to the next such command. */
  private releaseHeld(): void {
    const link = this.link;
    while (link && this.held.length > 0) {
      const next = this.held[0] as HeldCommand;
      if (!this.pending.has(next.id)) {
        // Given up (timeout, abort) before it went out: its caller was told it failed.
        this.held.shift();
        if (next.descriptors) closeDescriptors(next.descriptors);
        continue;
      }
      if (next.descriptors && this.descriptorsInFlight !== undefined) return;
      this.held.shift();
      this.transmit(link, next);
    }
  }

  private dropHeld(): void {
    for (const command of this.held.splice(0)) if (command.descriptors) closeDescriptors(command.descriptors);
    this.descriptorsInFlight = undefined;
  }

  private route(message: JsonValue, text: string | undefined): void {
    if (isEvent(message)) {
      for (const listener of this.eventListeners) callSafely(listener, message);
      this.events.publish(message);
      return;
    }
    if (!isReply(message)) return;
    const reply = message as QmpReply;
    // A reply without id answers input the server could not read; blame the oldest call.
    const key = typeof reply.id === "number" ? reply.id : this.pending.keys().next().value;
    if (key === undefined) return;
    if (key === this.descriptorsInFlight) {
      this.descriptorsInFlight = undefined;
      this.releaseHeld();
    }
    const call = this.pending.get(key);
    if (!call) return;
    this.pending.delete(key);
    if ("error" in reply) call.reject(new QmpError(reply.error.class, reply.error.desc, call.command));
    else {
      if (call.raw && text !== undefined) keepReturnText(reply, key, text);
      call.resolve(reply.return);
    }
  }

  private lost(link: Link, error?: Error): void {
    if (this.link !== link) return;
    this.link = undefined;
    this.dropHeld();
    const where = formatAddress(this.address);
    const why = error ? `: ${error.message}` : "";
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      call.reject(
        new QmpConnectionError(`QMP connection to ${where} closed while '${call.command}' was pending${why}`),
      );
    }
    if (this.closing) return;
    if (!this.options.reconnect) {
      this.events.end();
      return;
    }
    this.ready = this.reconnect();
    this.ready.catch(() => this.events.end());
  }

  private async reconnect(): Promise<void> {
    const settings = typeof this.options.reconnect === "object" ? this.options.reconnect : {};
    const retries = settings.retries ?? 5;
    let delay = settings.initialDelayMs ?? 100;
    let lastError: unknown;
    for (let attempt = 0; attempt < retries && !this.closing; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, settings.maxDelayMs ?? 5000);
      try {
        await this.open();
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw new QmpConnectionError(
      `gave up reconnecting to ${formatAddress(this.address)} after ${retries} attempts`,
      {
        cause: lastError,
      },
    );
  }

  private failPending(error: Error): void {
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}

/** Arms timeout and abort for one call; returns its disarm function, or undefined if already aborted. */
function guardCall(
  command: string,
  options: ExecuteOptions,
  fail: (error: Error) => void,
): (() => void) | undefined {
  const { signal, timeoutMs } = options;
  const abortError = () =>
    signal?.reason instanceof Error ? signal.reason : new Error(`QMP command '${command}' was aborted`);
  if (signal?.aborted) {
    fail(abortError());
    return undefined;
  }
  const onAbort = () => fail(abortError());
  signal?.addEventListener("abort", onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => fail(new QmpTimeoutError(command, timeoutMs)), timeoutMs);
  return () => {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connects, waits for the greeting and negotiates capabilities (OOB when offered). */
export function connectQmp(address: string | QmpAddress, options?: ConnectQmpOptions): Promise<QmpClient> {
  return QmpClient.connect(address, options);
}

/**
 * The return value's text out of the reply line, when the line has the layout QEMU writes
 * (`{"return": …, "id": N}`, members in QEMU's order, our numeric id); otherwise nothing is kept.
 */
function keepReturnText(reply: QmpReply, id: number, line: string): void {
  const head = '{"return": ';
  const tail = `, "id": ${id}}`;
  if (reply.id !== id || !line.startsWith(head) || !line.endsWith(tail)) return;
  if (line.length <= head.length + tail.length) return;
  rememberRawText((reply as { return: JsonValue }).return, line.slice(head.length, -tail.length));
}

/** A throwing listener must not stop the stream; its error still surfaces, as an uncaught one. */
function callSafely(listener: (event: QmpEvent) => void, event: QmpEvent): void {
  try {
    listener(event);
  } catch (error) {
    queueMicrotask(() => {
      throw error;
    });
  }
}

/**
 * The request as JSON.stringify would write `{ [verb]: command, id, arguments }`, without
 * building it; number literals a client wrote in the arguments (2^53 + 1, `1e3`) stay as written.
 */
function requestLine(verb: string, command: string, id: number, args: JsonObject | undefined): string {
  const head = `{"${verb}":${JSON.stringify(command)},"id":${id}`;
  return args !== undefined && hasMembers(args)
    ? `${head},"arguments":${stringifyExact(args)}}\n`
    : `${head}}\n`;
}

function hasMembers(object: JsonObject): boolean {
  for (const _ in object) return true;
  return false;
}

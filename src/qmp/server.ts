/**
 * A QMP server that hosts command handlers (the facades run on it). It speaks QMP as QEMU 7.2
 * does: same greeting shape, same negotiation rules and error texts, same output bytes.
 */

import { parseAddress, type QmpAddress } from "../transports/address.ts";
import type { ByteConnection } from "../transports/byte-connection.ts";
import { type Listener, listenTransport } from "../transports/listen.ts";
import type { FramerLimits } from "./json-framer.ts";
import type { JsonObject } from "./json-value.ts";
import { type QmpGreeting, type QmpVersion, timestampOf } from "./protocol.ts";
import {
  type ArgumentValidator,
  type QmpHandler,
  QmpServerSession,
  type SessionHost,
} from "./server-session.ts";

export interface QmpServerOptions {
  handlers: Record<string, QmpHandler>;
  /**
   * Handles every negotiated command without a handler of its own (a pass-through proxy).
   * It also decides about `exec-oob` itself: the server does not refuse OOB for it. Its
   * commands are pipelined (server-session.ts): each starts once the one before it has
   * started, so the handler must pass its commands on in the order it is called.
   */
  fallback?: (command: string) => QmpHandler;
  /** Commands that may run with `exec-oob` (QAPI's `allow-oob`). */
  oobCommands?: Iterable<string>;
  validate?: ArgumentValidator;
  /** What the greeting reports; members within QEMU's hash buckets are listed as QEMU shows them. */
  version?: QmpVersion;
  /** Offer the "oob" capability (QEMU offers it on monitors with their own I/O thread). */
  offerOob?: boolean;
  limits?: FramerLimits;
  /** Microseconds since the epoch, for event timestamps. */
  clock?: () => number;
  /**
   * Output a client may leave unread before it is disconnected (transports that can tell:
   * sockets, WebSocket); default 8 MiB. A reply larger than this may drain on top of it
   * (output-bound.ts), so a slow client costs at most this plus its largest unread message.
   */
  maxPendingOutputBytes?: number;
  /** Told when a client is disconnected for not reading; default: a line on stderr. */
  onClientDropped?: (description: string, reason: string) => void;
}

/** Far above any burst of events or replies a reading client leaves queued. */
export const DEFAULT_MAX_PENDING_OUTPUT = 8 * 1024 * 1024;

const DEFAULT_VERSION: QmpVersion = { qemu: { micro: 0, minor: 2, major: 7 }, package: "jobshim" };

export class QmpServer {
  private readonly sessions = new Set<QmpServerSession>();
  private readonly listeners: Listener[] = [];
  private readonly handlers: Map<string, QmpHandler>;
  private readonly oobCommands: Set<string>;
  private readonly host: SessionHost;
  private readonly clock: () => number;

  constructor(options: QmpServerOptions) {
    this.handlers = new Map(Object.entries(options.handlers));
    this.oobCommands = new Set(options.oobCommands ?? []);
    this.clock = options.clock ?? (() => Date.now() * 1000);
    const greeting: QmpGreeting = {
      QMP: {
        version: options.version ?? DEFAULT_VERSION,
        capabilities: options.offerOob === false ? [] : ["oob"],
      },
    };
    this.host = {
      greeting: () => greeting,
      handler: (command) => this.handlers.get(command) ?? options.fallback?.(command),
      allowsOob: (command) =>
        this.oobCommands.has(command) || (options.fallback !== undefined && !this.handlers.has(command)),
      validate: options.validate,
      limits: options.limits,
      closed: (session) => this.sessions.delete(session),
      // A fallback is a pass-through (one upstream command per request): it may be pipelined.
      pipelines: (command) => options.fallback !== undefined && !this.handlers.has(command),
      maxPendingOutput: options.maxPendingOutputBytes ?? DEFAULT_MAX_PENDING_OUTPUT,
      dropped: (session, reason) => {
        this.sessions.delete(session);
        const report =
          options.onClientDropped ??
          ((who: string, why: string) =>
            process.stderr.write(`jobshim: disconnected client ${who}: ${why}\n`));
        report(session.connection.description, reason);
      },
    };
  }

  /** Serves QMP on an already open connection. */
  attach(connection: ByteConnection): QmpServerSession {
    const session = new QmpServerSession(connection, this.host);
    if (!connection.closed) this.sessions.add(session);
    return session;
  }

  async listen(address: string | QmpAddress): Promise<Listener> {
    const parsed = typeof address === "string" ? parseAddress(address) : address;
    const listener = await listenTransport(parsed, (connection) => this.attach(connection));
    this.listeners.push(listener);
    return listener;
  }

  /** Sends an event to every session that has finished negotiation, as QEMU does. */
  emitEvent(event: string, data?: JsonObject): void {
    const timestamp = timestampOf(this.clock());
    const message: JsonObject =
      data === undefined
        ? { event, timestamp: { ...timestamp } }
        : { event, data, timestamp: { ...timestamp } };
    for (const session of this.sessions) if (session.negotiated) session.send(message);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    for (const session of this.sessions) session.connection.close();
    await Promise.all(this.listeners.splice(0).map((listener) => listener.close()));
  }
}

/**
 * One connection to a QMP server: its own framer, negotiation state and OOB setting. In-band
 * requests (and framing errors) are answered strictly in arrival order, as QEMU answers them;
 * `exec-oob` requests run at once and may overtake.
 *
 * Commands the host pipelines (a proxy's pass-through: one upstream command each) start as soon
 * as the request before them has started, not when it has been answered, so a client with many
 * commands in flight keeps QEMU's queue full instead of paying a round trip per command. Their
 * handlers still start in arrival order (so their upstream commands go out in that order) and
 * their replies are still sent in arrival order; any other request waits until everything
 * before it is answered, and everything after it waits for it.
 */
import type { ByteConnection } from "../transports/byte-connection.ts";
import { closeDescriptors } from "../transports/fd-passing.ts";
import { acceptCapabilities } from "./capabilities.ts";
import type { Framed, FramerLimits } from "./json-framer.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "./json-value.ts";
import { copyLiteral } from "./number-literal.ts";
import { OutputBound } from "./output-bound.ts";
import { LineFramer } from "./plain-line.ts";
import type { QmpErrorBody, QmpGreeting } from "./protocol.ts";
import { toQemuJson } from "./qemu-json-writer.ts";
import { type CheckedRequest, checkRequest, looksOutOfBand } from "./request-check.ts";

/** Raised by a handler to answer with a QMP error of its choice. */
export class QmpCommandError extends Error {
  constructor(
    readonly errorClass: string,
    readonly desc: string,
  ) {
    super(desc);
    this.name = "QmpCommandError";
  }
}

export interface HandlerContext {
  session: QmpServerSession;
  oob: boolean;
  /**
   * Descriptors that arrived with the command's bytes (SCM_RIGHTS). The session closes them once
   * the command is answered: a handler passes them on (QmpClient sends copies) before that.
   */
  descriptors?: readonly number[];
}

/** Returns the `return` value; `undefined` means `{}`, as QEMU answers commands without one. */
export type QmpHandler = (
  args: JsonObject,
  context: HandlerContext,
) => JsonValue | undefined | Promise<JsonValue | undefined>;

/** Checks arguments before the handler runs; the error returned is sent as is. */
export type ArgumentValidator = (command: string, args: JsonObject) => QmpErrorBody | undefined;

export interface SessionHost {
  greeting(): QmpGreeting;
  handler(command: string): QmpHandler | undefined;
  allowsOob(command: string): boolean;
  validate: ArgumentValidator | undefined;
  limits: FramerLimits | undefined;
  closed(session: QmpServerSession): void;
  /** Whether `command` may start before the requests ahead of it are answered (see above). */
  pipelines?(command: string): boolean;
  /**
   * Most output bytes a client may leave unread (where its transport can tell), besides its
   * largest unread message, before it is disconnected: a client that stops reading must not
   * grow the proxy's memory or hold others up.
   */
  maxPendingOutput?: number;
  /** Told why a session was disconnected by the server (slow reader). */
  dropped?(session: QmpServerSession, reason: string): void;
}

const NOT_FOUND = "CommandNotFound";

export class QmpServerSession {
  negotiated = false;
  oobEnabled = false;
  /** QEMU-exact framing; plain one-line requests take JSON.parse's path (plain-line.ts). */
  private readonly framer: LineFramer;
  /** Settles when every in-band request received so far has been answered. */
  private answered: Promise<void> = Promise.resolve();
  /** Settles when the next pipelined request may start. */
  private started: Promise<void> = Promise.resolve();
  /** Set when the server disconnected this client: nothing more is read or written. */
  private droppedFor: string | undefined;
  private readonly outputBound: OutputBound | undefined;
  /** Descriptors that came with the bytes of a request not yet complete. */
  private waitingDescriptors: number[] | undefined;
  /** Descriptors of requests not yet answered, closed if the client leaves before they start. */
  private readonly heldDescriptors = new Set<RequestDescriptors>();

  constructor(
    readonly connection: ByteConnection,
    private readonly host: SessionHost,
  ) {
    // Exact numbers: QEMU refuses `1.0` for an integer, and a proxy forwards 2^53 + 1 as written.
    this.framer = new LineFramer(host.limits, { exactNumbers: true });
    if (host.maxPendingOutput !== undefined) this.outputBound = new OutputBound(host.maxPendingOutput);
    connection.onData((chunk, descriptors) => this.receive(chunk, descriptors));
    connection.onClose(() => {
      this.releaseDescriptors();
      host.closed(this);
    });
    this.send(host.greeting());
  }

  /** Writes one message as QEMU does: its JSON form followed by CRLF. */
  send(message: JsonValue | QmpGreeting): void {
    if (this.droppedFor !== undefined) return;
    // QEMU's JSON is ASCII (it escapes the rest), so length counts bytes as the transports do.
    const text = `${toQemuJson(message as JsonValue)}\r\n`;
    this.connection.write(text);
    const pending = this.connection.pendingWriteBytes;
    if (pending !== undefined && this.outputBound?.exceeded(text.length, pending))
      this.drop(`it stopped reading: ${pending} bytes of output unread, limit ${this.outputBound.limit}`);
  }

  /** Why the server disconnected this client, if it did. */
  get dropReason(): string | undefined {
    return this.droppedFor;
  }

  private drop(reason: string): void {
    this.droppedFor = reason;
    this.host.dropped?.(this, reason);
    this.connection.close();
  }

  private receive(chunk: Buffer, descriptors?: number[]): void {
    if (this.droppedFor !== undefined) {
      if (descriptors) closeDescriptors(descriptors);
      return;
    }
    const all = this.framer.push(chunk);
    if (descriptors === undefined && this.waitingDescriptors === undefined) {
      for (const framed of all) this.take(framed, undefined);
      return;
    }
    const attached = this.attachDescriptors(all, descriptors);
    all.forEach((framed, index) => {
      this.take(framed, attached[index]);
    });
  }

  /**
   * Which request each descriptor belongs to. The kernel ends a read with the message that
   * carried descriptors, so they came with the chunk's last bytes: they belong to the request
   * those bytes complete, or, when the chunk ends inside a request, to that request, once
   * complete. Descriptors waiting from an earlier chunk go to the first request completed now.
   */
  private attachDescriptors(
    all: Framed[],
    descriptors: number[] | undefined,
  ): (RequestDescriptors | undefined)[] {
    const lists: number[][] = all.map(() => []);
    const waiting = this.waitingDescriptors;
    this.waitingDescriptors = undefined;
    if (waiting) {
      if (all.length > 0) lists[0]?.push(...waiting);
      else this.waitingDescriptors = waiting;
    }
    if (descriptors) {
      if (all.length > 0 && this.framer.idle) lists[all.length - 1]?.push(...descriptors);
      else this.waitingDescriptors = [...(this.waitingDescriptors ?? []), ...descriptors];
    }
    return lists.map((list) => {
      if (list.length === 0) return undefined;
      const held = new RequestDescriptors(list);
      this.heldDescriptors.add(held);
      return held;
    });
  }

  /** A client that leaves takes its descriptors with it, as on QEMU's monitor. */
  private releaseDescriptors(): void {
    if (this.waitingDescriptors) closeDescriptors(this.waitingDescriptors);
    this.waitingDescriptors = undefined;
    for (const held of this.heldDescriptors) if (!held.started) held.close();
    this.heldDescriptors.clear();
  }

  private take(framed: Framed, descriptors: RequestDescriptors | undefined): void {
    if (framed.ok && looksOutOfBand(framed.value)) void this.answer(framed, descriptors);
    else if (this.pipelined(framed)) this.pipeline(framed, descriptors);
    else {
      this.answered = this.answered.then(() => this.answer(framed, descriptors));
      this.started = this.answered;
    }
  }

  private pipelined(framed: Framed): boolean {
    if (!framed.ok || !this.host.pipelines) return false;
    const command = isJsonObject(framed.value) ? framed.value.execute : undefined;
    return typeof command === "string" && command !== "qmp_capabilities" && this.host.pipelines(command);
  }

  /** Starts after the previous request started; replies after the previous reply went out. */
  private pipeline(framed: Framed, descriptors: RequestDescriptors | undefined): void {
    let reply: Promise<JsonObject> | undefined;
    // The handler is called synchronously inside `replyTo`, so starts keep arrival order.
    const begun = this.started.then(() => {
      reply = this.replyTo(framed, descriptors);
    });
    const previous = this.answered;
    this.started = begun;
    this.answered = begun.then(async () => {
      const message = await (reply as Promise<JsonObject>);
      await previous;
      this.send(message);
    });
  }

  private async answer(framed: Framed, descriptors?: RequestDescriptors): Promise<void> {
    this.send(await this.replyTo(framed, descriptors));
  }

  private async replyTo(framed: Framed, descriptors?: RequestDescriptors): Promise<JsonObject> {
    if (descriptors === undefined) return this.replyWith(framed, undefined);
    // Forwarded (as copies) or refused: either way this request's descriptors end with its answer.
    descriptors.started = true;
    try {
      return await this.replyWith(framed, descriptors.open);
    } finally {
      descriptors.close();
      this.heldDescriptors.delete(descriptors);
    }
  }

  private async replyWith(framed: Framed, descriptors: readonly number[] | undefined): Promise<JsonObject> {
    if (!framed.ok) return { error: { class: "GenericError", desc: framed.message } };
    const checked = checkRequest(framed.value, this.oobEnabled);
    const reply: JsonObject = checked.ok
      ? await this.dispatch(checked, descriptors)
      : { error: { ...checked.error } };
    if (checked.id === undefined) return reply;
    const answered = { ...reply, id: checked.id };
    // The id is echoed as QEMU echoes it: 2^53 + 1 exactly, `1e18` as 1e+18 (number-literal.ts).
    copyLiteral(framed.value as object, "id", answered, "id");
    return answered;
  }

  private async dispatch(
    request: CheckedRequest,
    descriptors: readonly number[] | undefined,
  ): Promise<JsonObject> {
    const outcome = await this.run(request, descriptors).catch((thrown: unknown) =>
      failed(errorBodyOf(thrown)),
    );
    if (!outcome.ok) return { error: this.negotiationWording(outcome.error) };
    return { return: outcome.value ?? {} };
  }

  /** Before negotiation QEMU replaces every "not found" with a hint to negotiate. */
  private negotiationWording(error: QmpErrorBody): JsonObject {
    if (!this.negotiated && error.class === NOT_FOUND)
      return { class: NOT_FOUND, desc: "Expecting capabilities negotiation with 'qmp_capabilities'" };
    return { class: error.class, desc: error.desc };
  }

  private async run(request: CheckedRequest, descriptors: readonly number[] | undefined): Promise<Outcome> {
    const { command, args, oob } = request;
    if (command === "qmp_capabilities") return this.capabilities(args, oob);
    const handler = this.negotiated ? this.host.handler(command) : undefined;
    if (!handler) return failed({ class: NOT_FOUND, desc: `The command ${command} has not been found` });
    if (oob && !this.host.allowsOob(command))
      return failed(generic(`The command ${command} does not support OOB`));
    const invalid = this.host.validate?.(command, args);
    if (invalid) return failed(invalid);
    const context: HandlerContext = descriptors
      ? { session: this, oob, descriptors }
      : { session: this, oob };
    return { ok: true, value: await handler(args, context) };
  }

  private capabilities(args: JsonObject, oob: boolean): Outcome {
    if (oob) return failed(generic("The command qmp_capabilities does not support OOB"));
    const offered = this.host.greeting().QMP.capabilities;
    const accepted = acceptCapabilities(args, offered);
    if (!Array.isArray(accepted)) return failed(accepted);
    if (this.negotiated)
      return failed({
        class: NOT_FOUND,
        desc: "Capabilities negotiation is already complete, command ignored",
      });
    this.negotiated = true;
    this.oobEnabled = accepted.includes("oob");
    return { ok: true, value: undefined };
  }
}

/** The descriptors one request brought; the session owns them until the request is answered. */
class RequestDescriptors {
  started = false;
  private list: number[];

  constructor(list: number[]) {
    this.list = list;
  }

  /** Still open: none once closed (a client gone before its request started). */
  get open(): readonly number[] | undefined {
    return this.list.length > 0 ? this.list : undefined;
  }

  close(): void {
    closeDescriptors(this.list);
    this.list = [];
  }
}

type Outcome = { ok: true; value: JsonValue | undefined } | { ok: false; error: QmpErrorBody };

const failed = (error: QmpErrorBody): Outcome => ({ ok: false, error });

const generic = (desc: string): QmpErrorBody => ({ class: "GenericError", desc });

/** A handler's QmpCommandError keeps its class; anything else becomes a GenericError. */
function errorBodyOf(thrown: unknown): QmpErrorBody {
  if (thrown instanceof QmpCommandError) return { class: thrown.errorClass, desc: thrown.desc };
  return generic(thrown instanceof Error ? thrown.message : String(thrown));
}

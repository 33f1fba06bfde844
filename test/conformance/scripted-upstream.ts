/**
 * What the scripted QEMUs (source: scripted-qemu.ts, destination: incoming-scripted-qemu.ts) have
 * in common: an `Upstream` for the job facade that runs each command through a pure model,
 * announces the step's MIGRATION statuses before the reply, as QEMU's monitor does, and answers
 * the commands no model needs to track. Deterministic: nothing happens unless a test says so.
 */
import type { Upstream } from "../../adapters/job-facade/upstream.ts";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import { QmpError } from "../../src/qmp/qmp-error.ts";

export type ScriptReply = { ok: true; value?: unknown } | { ok: false; desc: string };

/** A model's step with its statuses already gated by the capabilities of the step's state. */
export interface ScriptStep<S> {
  state: S;
  reply: ScriptReply;
  statuses: string[];
}

export const answer = <S>(state: S, value: unknown): ScriptStep<S> => ({
  state,
  reply: { ok: true, value },
  statuses: [],
});

export abstract class ScriptedUpstream<S extends { caps: Record<string, boolean> }> implements Upstream {
  readonly oobEnabled = false;
  private readonly listeners: ((event: QmpEvent) => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    public state: S,
    /** The capabilities query-migrate-capabilities lists. */
    private readonly caps: readonly string[],
    /** QEMU 7.2 answers an unknown command with CommandNotFound; the source script says GenericError. */
    private readonly unknownClass: string,
  ) {}

  /** The model's step for a migration command, undefined for a command the model does not know. */
  protected abstract migrationCommand(command: string, args: JsonObject): ScriptStep<S> | undefined;

  /** Whether QEMU has exited in `state`: the connection is closed then. */
  protected exited(_state: S): boolean {
    return false;
  }

  async execute(command: string, args: JsonObject = {}): Promise<JsonValue> {
    if (this.exited(this.state)) throw new Error("QMP connection closed");
    const step = this.migrationCommand(command, args) ?? this.otherCommand(command);
    if (!step) throw new QmpError(this.unknownClass, `The command ${command} has not been found`, command);
    this.take(step);
    if (!step.reply.ok) throw new QmpError("GenericError", step.reply.desc, command);
    return (step.reply.value ?? {}) as JsonValue;
  }

  onEvent(listener: (event: QmpEvent) => void): void {
    this.listeners.push(listener);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {}

  protected take(step: ScriptStep<S>): void {
    const wasAlive = !this.exited(this.state);
    this.state = step.state;
    for (const status of step.statuses)
      for (const listener of this.listeners)
        listener({ event: "MIGRATION", data: { status }, timestamp: { seconds: 1, microseconds: 0 } });
    if (wasAlive && this.exited(this.state)) for (const listener of this.closeListeners) listener();
  }

  private otherCommand(command: string): ScriptStep<S> | undefined {
    const s = this.state;
    switch (command) {
      case "query-migrate-capabilities":
        return answer(
          s,
          this.caps.map((capability) => ({ capability, state: s.caps[capability] })),
        );
      case "migrate-set-parameters":
        return answer(s, {});
      case "query-jobs":
        return answer(s, []);
      default:
        return undefined;
    }
  }
}

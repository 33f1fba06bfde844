/**
 * A destination QEMU 7.2 scripted by the pure incoming model: an `Upstream` for the job facade
 * that answers with the model's replies and announces the model's statuses as MIGRATION events
 * (the gated ones only while its own `events` capability is on) before the reply, as QEMU's
 * monitor does. When the model says the process exits, the connection closes and every later
 * command fails as on a dead socket. Deterministic: nothing happens unless a test says so.
 */
import type { Upstream } from "../../adapters/job-facade/upstream.ts";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import { QmpError } from "../../src/qmp/qmp-error.ts";
import * as model from "./incoming-legacy-model.ts";

export type IncomingEnvironment = "connect" | "postcopy" | "complete" | "break" | "recovered";

const CAPS: model.IncomingCapability[] = ["events", "postcopy-ram"];

export class ScriptedDestination implements Upstream {
  state: model.IncomingState = model.INCOMING_INITIAL;
  readonly oobEnabled = false;
  private readonly listeners: ((event: QmpEvent) => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];

  async execute(command: string, args: JsonObject = {}): Promise<JsonValue> {
    if (this.state.exited) throw new Error("QMP connection closed");
    const step = this.command(command, args);
    this.take(step);
    if (!step.reply.ok) throw new QmpError(errorClass(command), step.reply.desc, command);
    return (step.reply.value ?? {}) as JsonValue;
  }

  onEvent(listener: (event: QmpEvent) => void): void {
    this.listeners.push(listener);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {}

  environment(kind: IncomingEnvironment): void {
    if (this.state.exited) return;
    const steps = {
      connect: model.connect,
      postcopy: model.postcopy,
      complete: model.complete,
      break: model.breakLink,
      recovered: model.recovered,
    };
    this.take(steps[kind](this.state));
  }

  private take(step: model.IncomingStep): void {
    const wasAlive = !this.state.exited;
    this.state = step.state;
    for (const { status, ungated } of step.announced)
      if (ungated || this.state.caps.events)
        for (const listener of this.listeners)
          listener({ event: "MIGRATION", data: { status }, timestamp: { seconds: 1, microseconds: 0 } });
    if (wasAlive && this.state.exited) for (const listener of this.closeListeners) listener();
  }

  private command(command: string, args: JsonObject): model.IncomingStep {
    const s = this.state;
    switch (command) {
      case "migrate-incoming":
        return model.migrateIncoming(s, String(args.uri));
      case "migrate-recover":
        return model.migrateRecover(s);
      case "migrate_cancel":
        return model.cancel(s);
      case "migrate-continue":
        return model.continueFrom(s);
      case "migrate-start-postcopy":
        return model.startPostcopy(s);
      case "migrate-pause":
        return model.pause(s);
      case "query-migrate":
        return model.queryMigrate(s);
      case "migrate-set-capabilities":
        return this.setCapabilities(args);
      case "query-migrate-capabilities":
        return answer(
          s,
          CAPS.map((capability) => ({ capability, state: s.caps[capability] })),
        );
      case "migrate-set-parameters":
        return answer(s, {});
      case "query-jobs":
        return answer(s, []);
      default:
        return {
          state: s,
          reply: { ok: false, desc: `The command ${command} has not been found` },
          announced: [],
        };
    }
  }

  /** QEMU sets the whole list or none of it; capabilities the model does not track are accepted. */
  private setCapabilities(args: JsonObject): model.IncomingStep {
    let step = answer(this.state, {});
    for (const entry of Array.isArray(args.capabilities) ? args.capabilities : []) {
      const { capability, state } = entry as { capability: model.IncomingCapability; state: boolean };
      if (CAPS.includes(capability)) step = model.setCapability(step.state, capability, state);
    }
    return step;
  }
}

const answer = (state: model.IncomingState, value: unknown): model.IncomingStep => ({
  state,
  reply: { ok: true, value },
  announced: [],
});

const KNOWN = [
  "migrate-incoming",
  "migrate-recover",
  "migrate_cancel",
  "migrate-continue",
  "migrate-start-postcopy",
  "migrate-pause",
  "query-migrate",
  "migrate-set-capabilities",
  "query-migrate-capabilities",
  "migrate-set-parameters",
  "query-jobs",
];
const errorClass = (command: string): string =>
  KNOWN.includes(command) ? "GenericError" : "CommandNotFound";

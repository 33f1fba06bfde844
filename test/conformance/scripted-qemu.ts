/**
 * A legacy QEMU scripted by the pure legacy model: an `Upstream` for the job facade that answers
 * the migration commands the facade sends, with the model's replies, and announces the model's
 * statuses as MIGRATION events (while its own `events` capability is on) before the reply, as
 * QEMU's monitor does. Deterministic and synchronous: nothing happens unless a test says so.
 */
import type { Upstream } from "../../adapters/job-facade/upstream.ts";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import { QmpError } from "../../src/qmp/qmp-error.ts";
import * as legacy from "./legacy-model.ts";

const CAPS: legacy.Capability[] = ["events", "postcopy-ram", "pause-before-switchover"];

export class ScriptedQemu implements Upstream {
  state: legacy.LegacyState = legacy.INITIAL;
  readonly oobEnabled = false;
  private readonly listeners: ((event: QmpEvent) => void)[] = [];

  async execute(command: string, args: JsonObject = {}): Promise<JsonValue> {
    const step = this.command(command, args);
    this.take(step);
    if (!step.reply.ok) throw new QmpError("GenericError", step.reply.desc, command);
    return (step.reply.value ?? {}) as JsonValue;
  }

  onEvent(listener: (event: QmpEvent) => void): void {
    this.listeners.push(listener);
  }

  onClose(): void {}

  async close(): Promise<void> {}

  /** An environment event: the migration thread moves on, or the link breaks. */
  environment(kind: "advance" | "break"): void {
    this.take(kind === "advance" ? legacy.advance(this.state) : legacy.breakLink(this.state));
  }

  private take(step: legacy.Step): void {
    this.state = step.state;
    if (!this.state.caps.events) return;
    for (const status of step.statuses)
      for (const listener of this.listeners)
        listener({ event: "MIGRATION", data: { status }, timestamp: { seconds: 1, microseconds: 0 } });
  }

  private command(command: string, args: JsonObject): legacy.Step {
    const s = this.state;
    switch (command) {
      case "migrate":
        return legacy.migrate(s);
      case "migrate_cancel":
        return legacy.cancel(s);
      case "migrate-continue":
        return legacy.continueFrom(s, String(args.state));
      case "migrate-start-postcopy":
        return legacy.startPostcopy(s);
      case "migrate-pause":
        return legacy.pause(s);
      case "query-migrate":
        return legacy.queryMigrate(s);
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
          statuses: [],
        };
    }
  }

  /** All or nothing, as QEMU checks the whole list before it sets any. */
  private setCapabilities(args: JsonObject): legacy.Step {
    let step: legacy.Step = answer(this.state, {});
    for (const entry of Array.isArray(args.capabilities) ? args.capabilities : []) {
      const { capability, state } = entry as { capability: legacy.Capability; state: boolean };
      if (!CAPS.includes(capability)) continue;
      step = legacy.setCapability(step.state, capability, state);
      if (!step.reply.ok) return { ...step, state: this.state };
    }
    return step;
  }
}

const answer = (state: legacy.LegacyState, value: unknown): legacy.Step => ({
  state,
  reply: { ok: true, value },
  statuses: [],
});

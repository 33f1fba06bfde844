/**
 * A legacy QEMU scripted by the pure legacy model (scripted-upstream.ts does the talking): it
 * answers the migration commands the facade sends and announces the model's statuses only while
 * its own `events` capability is on.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";
import * as legacy from "./legacy-model.ts";
import { ScriptedUpstream, type ScriptStep } from "./scripted-upstream.ts";

const CAPS: legacy.Capability[] = ["events", "postcopy-ram", "pause-before-switchover"];

export class ScriptedQemu extends ScriptedUpstream<legacy.LegacyState> {
  constructor() {
    super(legacy.INITIAL, CAPS, "GenericError");
  }

  /** An environment event: the migration thread moves on, or the link breaks. */
  environment(kind: "advance" | "break"): void {
    this.take(gated(kind === "advance" ? legacy.advance(this.state) : legacy.breakLink(this.state)));
  }

  protected migrationCommand(command: string, args: JsonObject): ScriptStep<legacy.LegacyState> | undefined {
    const step = this.legacyStep(command, args);
    return step && gated(step);
  }

  private legacyStep(command: string, args: JsonObject): legacy.Step | undefined {
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
      default:
        return undefined;
    }
  }

  /** All or nothing, as QEMU checks the whole list before it sets any. */
  private setCapabilities(args: JsonObject): legacy.Step {
    let step: legacy.Step = { state: this.state, reply: { ok: true, value: {} }, statuses: [] };
    for (const entry of Array.isArray(args.capabilities) ? args.capabilities : []) {
      const { capability, state } = entry as { capability: legacy.Capability; state: boolean };
      if (!CAPS.includes(capability)) continue;
      step = legacy.setCapability(step.state, capability, state);
      if (!step.reply.ok) return { ...step, state: this.state };
    }
    return step;
  }
}

/** The statuses QEMU announces after the step: none while `events` is off. */
const gated = (step: legacy.Step): ScriptStep<legacy.LegacyState> => ({
  ...step,
  statuses: step.state.caps.events ? step.statuses : [],
});

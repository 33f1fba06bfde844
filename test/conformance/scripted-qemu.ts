/**
 * A legacy QEMU (7.2, or 10.0) scripted by the pure legacy model (scripted-upstream.ts does the talking): it
 * answers the migration commands the facade sends and announces the model's statuses only while
 * its own `events` capability is on.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";
import * as legacy from "./legacy-model.ts";
import { ScriptedUpstream, type ScriptStep } from "./scripted-upstream.ts";

const CAPS: legacy.Capability[] = ["events", "postcopy-ram", "pause-before-switchover"];

export class ScriptedQemu extends ScriptedUpstream<legacy.LegacyState> {
  constructor(version: legacy.LegacyVersion = "7.2") {
    super(legacy.initialOf(version), CAPS, "GenericError");
  }

  /** An environment event: the migration thread moves on, or the link breaks. */
  environment(kind: "advance" | "break"): void {
    this.take(gated(kind === "advance" ? legacy.advance(this.state) : legacy.breakLink(this.state)));
  }

  protected migrationCommand(command: string, args: JsonObject): ScriptStep<legacy.LegacyState> | undefined {
    const step = legacy.commandStep(this.state, command, args);
    return step && gated(step);
  }
}

/** The statuses QEMU announces after the step: none while `events` is off. */
const gated = (step: legacy.Step): ScriptStep<legacy.LegacyState> => ({
  ...step,
  statuses: step.state.caps.events ? step.statuses : [],
});

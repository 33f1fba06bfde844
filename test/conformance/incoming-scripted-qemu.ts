/**
 * A destination QEMU 7.2 scripted by the pure incoming model (scripted-upstream.ts does the
 * talking): the gated statuses are announced only while its own `events` capability is on. When
 * the model says the process exits, the connection closes and every later command fails as on a
 * dead socket.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";
import * as model from "./incoming-legacy-model.ts";
import { answer, ScriptedUpstream, type ScriptStep } from "./scripted-upstream.ts";

export type IncomingEnvironment = "connect" | "postcopy" | "complete" | "break" | "recovered";

const CAPS: model.IncomingCapability[] = ["events", "postcopy-ram"];

export class ScriptedDestination extends ScriptedUpstream<model.IncomingState> {
  constructor() {
    super(model.INCOMING_INITIAL, CAPS, "CommandNotFound");
  }

  environment(kind: IncomingEnvironment): void {
    if (this.state.exited) return;
    const steps = {
      connect: model.connect,
      postcopy: model.postcopy,
      complete: model.complete,
      break: model.breakLink,
      recovered: model.recovered,
    };
    this.take(gated(steps[kind](this.state)));
  }

  protected override exited(state: model.IncomingState): boolean {
    return state.exited;
  }

  protected migrationCommand(command: string, args: JsonObject): ScriptStep<model.IncomingState> | undefined {
    if (command === "migrate-set-capabilities") return this.setCapabilities(args);
    const step = model.commandStep(this.state, command, args);
    return step && gated(step);
  }

  /** QEMU sets the whole list or none of it; capabilities the model does not track are accepted. */
  private setCapabilities(args: JsonObject): ScriptStep<model.IncomingState> {
    let state = this.state;
    for (const entry of Array.isArray(args.capabilities) ? args.capabilities : []) {
      const { capability, state: on } = entry as { capability: model.IncomingCapability; state: boolean };
      if (CAPS.includes(capability)) state = model.setCapability(state, capability, on).state;
    }
    return answer(state, {});
  }
}

/** The statuses QEMU announces after the step: the gated ones only with `events` on. */
const gated = (step: model.IncomingStep): ScriptStep<model.IncomingState> => ({
  state: step.state,
  reply: step.reply,
  statuses: step.announced.filter((a) => a.ungated || step.state.caps.events).map((a) => a.status),
});

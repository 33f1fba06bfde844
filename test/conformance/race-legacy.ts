/**
 * The legacy flavour of the race tests as fast-check model-based commands: a legacy client's
 * commands, sent without waiting for earlier replies, and QEMU's migration-thread steps, both
 * run by `fc.scheduledModelRun` over legacy facade ∘ job facade ∘ scheduled scripted QEMU.
 * After every command the run so far must be linearisable against the legacy model (QEMU 7.2;
 * the legacy facade declares no deviation, decision 0001) and every job status change a JobSTT step.
 */
import type fc from "fast-check";
import type { JsonObject } from "../../src/qmp/json-value.ts";
import * as legacy from "./legacy-model.ts";
import { quiesce, startStack } from "./legacy-traces.ts";
import { describeRun, type History, linearise, type Op, type Spec } from "./race-history.ts";
import { Clock, drain, illegalJobSteps, replyText, ScheduledQemu } from "./race-scheduling.ts";

/** `migrate-b` is a second client's `migrate`, so two can be in flight at once. */
export type ClientName = "migrate" | "migrate-b" | "cancel" | "continue" | "start-postcopy" | "pause";
export type ThreadName = "advance" | "break";

const COMMANDS: Record<ClientName, { command: string; args?: JsonObject }> = {
  migrate: { command: "migrate", args: { uri: "tcp:127.0.0.1:1" } },
  "migrate-b": { command: "migrate", args: { uri: "tcp:127.0.0.1:1" } },
  cancel: { command: "migrate_cancel" },
  continue: { command: "migrate-continue", args: { state: "pre-switchover" } },
  "start-postcopy": { command: "migrate-start-postcopy" },
  pause: { command: "migrate-pause" },
};

function modelStep(s: legacy.LegacyState, name: string): legacy.Step {
  switch (name) {
    case "migrate":
    case "migrate-b":
      return legacy.migrate(s);
    case "cancel":
      return legacy.cancel(s);
    case "continue":
      return legacy.continueFrom(s, "pre-switchover");
    case "start-postcopy":
      return legacy.startPostcopy(s);
    case "pause":
      return legacy.pause(s);
    case "advance":
      return legacy.advance(s);
    case "break":
      return legacy.breakLink(s);
    default:
      throw new Error(`no spec for ${name}`);
  }
}

/** The legacy model as the sequential specification a legacy client sees. */
export const LEGACY_SPEC: Spec<legacy.LegacyState> = {
  step(s, name) {
    const step = modelStep(s, name);
    return {
      state: step.state,
      reply: step.reply.ok ? "ok" : step.reply.desc,
      events: step.state.caps.events ? step.statuses : [],
    };
  },
  key: (s) => JSON.stringify(s),
};

/** A prelude step: a capability the client sets, or a command / step run to completion. */
export type PreludeStep = `caps ${legacy.Capability}` | ClientName | ThreadName;

/** The real system of one run, and what the run has shown so far. */
export class LegacyRace {
  readonly ops: Op[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly clock = new Clock();
  private constructor(
    private readonly qemu: ScheduledQemu,
    private readonly stack: Awaited<ReturnType<typeof startStack>>,
    readonly start: legacy.LegacyState,
    private readonly eventsBefore: number,
  ) {}

  /** Brings a stack to `prelude` without the scheduler, then hands QEMU to it. */
  static async open(s: fc.Scheduler, prelude: readonly PreludeStep[]): Promise<LegacyRace> {
    const qemu = new ScheduledQemu();
    const stack = await startStack(qemu);
    let state = legacy.INITIAL;
    for (const step of prelude) {
      if (step.startsWith("caps ")) {
        const capability = step.slice(5) as legacy.Capability;
        const args = { capabilities: [{ capability, state: true }] };
        await stack.run(stack.client, "migrate-set-capabilities", args);
        state = legacy.setCapability(state, capability, true).state;
      } else if (step === "advance" || step === "break") {
        qemu.environment(step);
        state = LEGACY_SPEC.step(state, step).state;
      } else {
        const { command, args } = COMMANDS[step as ClientName];
        await stack.run(stack.client, command, args);
        state = LEGACY_SPEC.step(state, step).state;
      }
      await quiesce(stack.jobs);
    }
    qemu.scheduler = s;
    qemu.log.length = 0;
    return new LegacyRace(qemu, stack, state, stack.client.events.length);
  }

  /**
   * Sends a command; its reply is recorded when it comes, nobody waits for it here. It arrives
   * in an I/O event of its own, as from a socket: what earlier handlers deferred to
   * setImmediate has run by then.
   */
  async send(name: ClientName, answered: () => void): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const op: Op = { name, thread: false, invoked: this.clock.tick(), eventsSeen: this.events().length };
    this.ops.push(op);
    const { command, args } = COMMANDS[name];
    const reply = (text: string) => {
      op.reply = text;
      op.responded = this.clock.tick();
      answered();
    };
    this.pending.push(
      this.stack.run(this.stack.client, command, args).then(
        () => reply("ok"),
        (e) => reply(replyText(e)),
      ),
    );
  }

  /** QEMU's migration thread moves on (or its link breaks), at once. */
  step(name: ThreadName): void {
    this.ops.push({ name, thread: true, invoked: this.clock.tick(), eventsSeen: this.events().length });
    this.qemu.environment(name);
  }

  events(): string[] {
    return this.stack.client.events.slice(this.eventsBefore);
  }

  history(finalStatus?: string): History<legacy.LegacyState> {
    return {
      start: this.start,
      ops: this.ops,
      events: this.events(),
      ...(finalStatus === undefined ? {} : { final: (s: legacy.LegacyState) => s.status === finalStatus }),
    };
  }

  /** What can be checked mid-run: job steps legal, the run so far explained by some serial order. */
  checkSoFar(): void {
    const illegal = illegalJobSteps(this.stack.jobEvents);
    if (illegal.length > 0) throw new Error(`illegal job steps: ${illegal.join(", ")}`);
    const h = this.history();
    if (!linearise(LEGACY_SPEC, h))
      throw new Error(`not linearisable so far\n${describeRun(h)}\nat QEMU: ${this.qemu.log.join("; ")}`);
  }

  /** Lets every command get its reply and every reaction settle; returns query-migrate's status. */
  async finish(s: fc.Scheduler): Promise<string> {
    await drain(s, Promise.all(this.pending));
    if (this.ops.some((op) => !op.thread && op.responded === undefined))
      throw new Error(`a command got no reply\n${describeRun(this.history())}`);
    this.qemu.scheduler = undefined;
    await quiesce(this.stack.jobs);
    const info = (await this.stack.run(this.stack.client, "query-migrate")) as JsonObject;
    return String(info.status ?? "none");
  }

  /** The whole run: legal job steps, and one serial order explaining replies, events and the end. */
  checkWhole(finalStatus: string): number[] {
    const illegal = illegalJobSteps(this.stack.jobEvents);
    if (illegal.length > 0) throw new Error(`illegal job steps: ${illegal.join(", ")}`);
    const h = this.history(finalStatus);
    const order = linearise(LEGACY_SPEC, h);
    if (!order)
      throw new Error(
        `not linearisable; query-migrate says ${finalStatus}\n${describeRun(h)}\nat QEMU: ${this.qemu.log.join("; ")}`,
      );
    return order;
  }

  close(): void {
    this.qemu.scheduler = undefined;
    this.stack.facade.close();
    this.stack.jobs.close();
  }
}

/**
 * What the commands know before they run: the commands waiting for a reply. Each kind of
 * command comes from a client of its own, and QMP runs a client's facade commands one at a
 * time, so a kind is sent again only once its reply came.
 */
export interface LegacyModel {
  inFlight: Set<ClientName>;
}

/** A legacy client's command, sent without waiting for the reply. */
export class SendCommand implements fc.AsyncCommand<LegacyModel, LegacyRace> {
  constructor(readonly name: ClientName) {}
  check(m: Readonly<LegacyModel>): boolean {
    return !m.inFlight.has(this.name);
  }
  async run(m: LegacyModel, r: LegacyRace): Promise<void> {
    m.inFlight.add(this.name);
    await r.send(this.name, () => m.inFlight.delete(this.name));
    r.checkSoFar();
  }
  toString(): string {
    return this.name;
  }
}

/** A step of QEMU's migration thread. */
export class ThreadStep implements fc.AsyncCommand<LegacyModel, LegacyRace> {
  constructor(readonly name: ThreadName) {}
  check(): boolean {
    return true;
  }
  async run(_m: LegacyModel, r: LegacyRace): Promise<void> {
    r.step(this.name);
    r.checkSoFar();
  }
  toString(): string {
    return `qemu:${this.name}`;
  }
}

/**
 * The job-API flavour of the race tests: job verbs (job-migrate, job-cancel, job-finalize,
 * job-dismiss, job-complete) raced against QEMU's migration thread through the job facade alone,
 * over a scheduled scripted QEMU. The linearisation point of a verb lies between its invocation
 * and its reply; the job's statuses in that window are what the job facade told (its
 * JOB_STATUS_CHANGE events are sent synchronously as it changes state). Every reply must be an
 * acceptance where JobVerbTable allows one of those statuses, or a refusal with QEMU's exact text
 * naming one of them (never a legacy migration text); a job-migrate QEMU refused leaves no trace.
 */
import type fc from "fast-check";
import { JobFacade } from "../../adapters/job-facade/facade.ts";
import type { JsonObject } from "../../src/qmp/json-value.ts";
import { QmpError } from "../../src/qmp/qmp-error.ts";
import { verbTableAllows } from "../helpers/qemu-job-tables.ts";
import { call, quiesce } from "./legacy-traces.ts";
import { Clock, drain, illegalJobSteps, replyText, ScheduledQemu } from "./race-scheduling.ts";

export type JobVerb = "cancel" | "finalize" | "dismiss" | "complete";
export type JobId = "a" | "b";
type ThreadName = "advance" | "break";

/** QEMU 7.2 with no block jobs: every job verb on it finds no job. */
class JoblessQemu extends ScheduledQemu {
  override async execute(command: string, args: JsonObject = {}) {
    if (!command.startsWith("job-")) return super.execute(command, args);
    if (this.scheduler) await this.scheduler.schedule(Promise.resolve(), `qemu ← ${command}`);
    throw new QmpError("GenericError", "Job not found", command);
  }
}

interface JobOp {
  label: string;
  verb: JobVerb | "migrate";
  id: JobId;
  invoked: number;
  responded?: number;
  reply?: string;
}

interface Told {
  id: string;
  status: string;
  at: number;
}

const NO_JOB = ["undefined", "null"];

/** One run's real system: job facade ∘ scheduled QEMU, the statuses it told, the replies. */
export class JobRace {
  readonly ops: JobOp[] = [];
  readonly told: Told[] = [];
  readonly events: JsonObject[] = [];
  private readonly pending: Promise<void>[] = [];
  private readonly clock = new Clock();
  private readonly client = { negotiated: true, send: () => undefined };
  private constructor(
    private readonly qemu: JoblessQemu,
    private readonly jobs: JobFacade,
  ) {
    jobs.addClient(this.client);
    jobs.addClient({ negotiated: true, send: (m: JsonObject) => this.record(m) });
  }

  static async open(
    s: fc.Scheduler,
    prelude: readonly (ThreadName | { migrate: JobId; autoFinalize: boolean })[],
  ) {
    const qemu = new JoblessQemu();
    const race = new JobRace(qemu, await JobFacade.attach(qemu, { pollIntervalMs: 0 }));
    for (const step of prelude) {
      if (typeof step === "string") qemu.environment(step);
      else await race.run("job-migrate", migrateArgs(step.migrate, step.autoFinalize));
      await quiesce(race.jobs);
    }
    qemu.scheduler = s;
    qemu.log.length = 0;
    return race;
  }

  private run(command: string, args: JsonObject) {
    return call(this.jobs.handlers, (c) => this.jobs.passThrough(c))(this.client, command, args);
  }

  private record(message: JsonObject): void {
    this.events.push(message);
    if (message.event !== "JOB_STATUS_CHANGE") return;
    const { id, status } = message.data as { id: string; status: string };
    this.told.push({ id, status, at: this.clock.tick() });
  }

  /** Sends a verb (or job-migrate) in an I/O event of its own; nobody waits for the reply here. */
  async send(op: Omit<JobOp, "invoked">, args: JsonObject, answered: () => void): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const entry: JobOp = { ...op, invoked: this.clock.tick() };
    this.ops.push(entry);
    const reply = (text: string) => {
      entry.reply = text;
      entry.responded = this.clock.tick();
      answered();
    };
    this.pending.push(
      this.run(`job-${op.verb}`, args).then(
        () => reply("ok"),
        (e) => reply(replyText(e)),
      ),
    );
  }

  step(name: ThreadName): void {
    this.qemu.environment(name);
  }

  /** The job's statuses from the invocation to the reply (or to now). */
  window(id: string, from: number, to = Number.POSITIVE_INFINITY): string[] {
    const before = this.told.filter((t) => t.id === id && t.at < from).at(-1)?.status ?? "undefined";
    return [before, ...this.told.filter((t) => t.id === id && t.at > from && t.at < to).map((t) => t.status)];
  }

  /** Why a reply cannot be explained by any status in its window, or undefined when it can. */
  unexplained(op: JobOp): string | undefined {
    if (op.reply === undefined) return undefined;
    const w = this.window(op.id, op.invoked, op.responded);
    const others = (["a", "b"] as const).filter((id) => id !== op.id);
    const ok =
      op.verb === "migrate"
        ? op.reply === "ok"
          ? w.some((s) => NO_JOB.includes(s))
          : op.reply === `Job ID '${op.id}' already in use`
            ? w.some((s) => !NO_JOB.includes(s))
            : op.reply === "There's a migration process in progress" &&
              others.some((id) => this.window(id, op.invoked, op.responded).some(isRunningJob)) &&
              // A refused job-migrate leaves no trace: no status told for its ID meanwhile
              // (only the dismissal of an older job of that ID, by another client).
              w.slice(1).every((s) => s === "null")
        : op.reply === "ok"
          ? w.some((s) => verbTableAllows(op.verb, s))
          : op.reply === "Job not found"
            ? w.some((s) => NO_JOB.includes(s))
            : w.some(
                (s) => op.reply === `Job '${op.id}' in state '${s}' cannot accept command verb '${op.verb}'`,
              );
    return ok
      ? undefined
      : `${op.label}[${op.invoked}..${op.responded}] → ${op.reply}; statuses ${w.join(" → ")}`;
  }

  /** Every reply so far explained, every status change a JobSTT step. */
  checkSoFar(): void {
    const illegal = illegalJobSteps(this.events);
    const bad = this.ops.map((op) => this.unexplained(op)).filter((x) => x !== undefined);
    if (illegal.length + bad.length > 0)
      throw new Error(
        `illegal job steps: ${illegal.join(", ") || "none"}\nunexplained replies: ${bad.join("; ") || "none"}\n${this.describe()}`,
      );
  }

  describe(): string {
    const told = this.told.map((t) => `${t.id}:${t.status}@${t.at}`).join(" ");
    return `told: ${told}\nat QEMU: ${this.qemu.log.join("; ")}`;
  }

  /** Waits for every reply; then query-jobs must list each job as last told. */
  async finish(s: fc.Scheduler): Promise<void> {
    await drain(s, Promise.all(this.pending));
    if (this.ops.some((op) => op.responded === undefined))
      throw new Error(`a verb got no reply\n${this.describe()}`);
    this.qemu.scheduler = undefined;
    await quiesce(this.jobs);
    this.checkSoFar();
    const listed = ((await this.run("query-jobs", {})) as JsonObject[])
      .map((j) => `${j.id}:${j.status}`)
      .sort();
    const last = new Map(this.told.map((t) => [t.id, t.status]));
    const expected = [...last]
      .filter(([, s]) => s !== "null")
      .map(([id, s]) => `${id}:${s}`)
      .sort();
    if (listed.join() !== expected.join())
      throw new Error(
        `query-jobs lists ${listed.join(", ")}, events told ${expected.join(", ")}\n${this.describe()}`,
      );
  }

  close(): void {
    this.qemu.scheduler = undefined;
    this.jobs.close();
  }
}

const isRunningJob = (s: string) => !NO_JOB.includes(s) && s !== "concluded";

export const migrateArgs = (id: JobId, autoFinalize: boolean): JsonObject => ({
  "job-id": id,
  uri: "tcp:127.0.0.1:1",
  "auto-dismiss": false,
  "auto-finalize": autoFinalize,
});

/** The commands in flight: each kind comes from a client of its own, one command at a time. */
export interface JobModel {
  inFlight: Set<string>;
}

/**
 * A command sent by a client without waiting for the reply. Each kind (verb and job; job-migrate
 * also by its auto-finalize) comes from a client of its own, one command at a time: two kinds may
 * be in flight at once.
 */
class SentCommand implements fc.AsyncCommand<JobModel, JobRace> {
  constructor(
    readonly verb: JobVerb | "migrate",
    readonly id: JobId,
    private readonly label: string,
    private readonly args: () => JsonObject,
  ) {}
  check(m: Readonly<JobModel>): boolean {
    return !m.inFlight.has(this.label);
  }
  async run(m: JobModel, r: JobRace): Promise<void> {
    m.inFlight.add(this.label);
    await r.send({ label: this.label, verb: this.verb, id: this.id }, this.args(), () =>
      m.inFlight.delete(this.label),
    );
    r.checkSoFar();
  }
  toString(): string {
    return this.label;
  }
}

/** A job verb sent by a client without waiting for the reply. */
export class VerbCommand extends SentCommand {
  constructor(verb: JobVerb, id: JobId) {
    super(verb, id, `job-${verb} ${id}`, () => ({ id }));
  }
}

/** job-migrate of a new job, sent without waiting for the reply. */
export class MigrateCommand extends SentCommand {
  constructor(id: JobId, autoFinalize: boolean) {
    const label = `job-migrate ${id}${autoFinalize ? "" : " (auto-finalize off)"}`;
    super("migrate", id, label, () => migrateArgs(id, autoFinalize));
  }
}

/** A step of QEMU's migration thread. */
export class JobThreadStep implements fc.AsyncCommand<JobModel, JobRace> {
  constructor(readonly name: ThreadName) {}
  check(): boolean {
    return true;
  }
  async run(_m: JobModel, r: JobRace): Promise<void> {
    r.step(this.name);
    r.checkSoFar();
  }
  toString(): string {
    return `qemu:${this.name}`;
  }
}

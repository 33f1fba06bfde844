/**
 * The job facade (decision 0001): in front of a QEMU that only speaks the legacy migration API,
 * clients see migration as a job of type `migration`. It owns the facade's own commands, tracks
 * the upstream migration from MIGRATION events reconciled with query-migrate, fans events out
 * to its clients and passes everything else through unchanged.
 */
import type { JobStatus, MigrationStatus } from "../../src/generated/types.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../../src/qmp/json-value.ts";
import { pickMembers } from "../../src/qmp/number-literal.ts";
import { type QmpEvent, timestampOf } from "../../src/qmp/protocol.ts";
import type { HandlerContext, QmpHandler } from "../../src/qmp/server-session.ts";
import { adoptedId, directionOf, runningStatus, uriOfSocketAddress } from "./adoption.ts";
import { checkArgs } from "./arguments.ts";
import { type FacadeClient, FacadeClients } from "./clients.ts";
import { generic, idInUse, invalidId, isWellFormedId, jobNotFound, verbRefused } from "./job-errors.ts";
import { type JobJournal, replayJob } from "./job-journal.ts";
import type { Direction } from "./machine-choice.ts";
import { MigrationJob, type MigrationJobOptions } from "./migration-job.ts";
import type { ProgressOptions } from "./progress.ts";
import { memberStatuses, mirrorsArgument, SwitchoverTransaction } from "./switchover-transaction.ts";
import { errorDescOf, TrackedJob } from "./tracked-job.ts";
import { passOn, relay, type Upstream } from "./upstream.ts";
import * as verbs from "./verbs.ts";

export interface JobFacadeOptions {
  /** How often query-migrate is polled while a job runs (lost CAS, progress); default 500 ms. */
  pollIntervalMs?: number;
  progress?: ProgressOptions;
  /** Microseconds since the epoch, for the facade's own event timestamps. */
  clock?: () => number;
  /** Undeclared or impossible status changes QEMU made; default: ignored. */
  onAnomaly?: (jobId: string, message: string) => void;
  /**
   * Keeps the migration job beyond this facade (adapters/job-facade/job-journal.ts): a facade
   * attached later to the same QEMU adopts the migration under the same id. With a journal a
   * lost connection does not conclude the job: the next facade finds out from QEMU what became of it.
   */
  journal?: JobJournal;
}

type VerbHandler = (tracked: TrackedJob, args: JsonObject) => Promise<void>;

export class JobFacade {
  readonly clients: FacadeClients;
  private readonly jobs = new Map<string, TrackedJob>();
  /** Switchover transactions by migration job ID (decision 0003). */
  private readonly transactions = new Map<string, SwitchoverTransaction>();
  /** The job QEMU's one migration state belongs to right now. */
  private active: TrackedJob | undefined;
  private queue: Promise<void> = Promise.resolve();
  private eventCount = 0;
  /** Events waiting in the queue for a query-migrate; later events queue behind them, in order. */
  private held = 0;
  /** The job a queued, not yet started reconcile will check: one such query is enough. */
  private reconcileQueuedFor: TrackedJob | undefined;
  /** The job whose start command QEMU is answering (one at a time, `serialStart`). */
  private starting: TrackedJob | undefined;
  /** The tail of the job-migrate / job-migrate-incoming queue. */
  private starts: Promise<unknown> = Promise.resolve();
  private poller: NodeJS.Timeout | undefined;
  private upstreamGone = false;
  /** A migration QEMU reported is being adopted: events wait in the queue until its job exists. */
  private adopting = false;
  /** Whether QEMU accepted `events` on: refused while a migration runs (adopted at attach). */
  private eventsOn = false;
  /** The URI of the last `migrate` / `migrate-incoming` passed through: an adopted job's `uri`. */
  private passedUri: { direction: Direction; uri: string } | undefined;
  private readonly clock: () => number;

  private constructor(
    readonly upstream: Upstream,
    qemuEvents: boolean,
    private readonly options: JobFacadeOptions,
  ) {
    this.clients = new FacadeClients(qemuEvents);
    this.clock = options.clock ?? (() => Date.now() * 1000);
    upstream.onEvent((event) => this.upstreamEvent(event));
    upstream.onClose(() => this.upstreamClosed());
  }

  /** Attaches to QEMU: remembers its `events` capability for the clients, then turns it on. */
  static async attach(upstream: Upstream, options: JobFacadeOptions = {}): Promise<JobFacade> {
    const caps = await upstream.execute("query-migrate-capabilities");
    const facade = new JobFacade(upstream, capabilityState(caps, "events") ?? false, options);
    if (options.journal) await facade.adopt(options.journal);
    // Refused while a migration runs; turned on when it ends, or by the next job-migrate.
    await facade.turnEventsOn();
    // A migration QEMU already runs (or listens for) is a job too (decision 0001, 14).
    if (!facade.active) await facade.adoptRunning(undefined);
    return facade;
  }

  /** The commands the facade answers itself; the rest goes to `passThrough`. */
  get handlers(): Record<string, QmpHandler> {
    const verb = (name: string, run: VerbHandler): QmpHandler => this.verbCommand(name, run);
    return {
      "job-migrate": (args) => this.serialStart(() => this.jobMigrate(args)),
      "job-migrate-incoming": (args) => this.serialStart(() => this.jobMigrateIncoming(args)),
      "query-jobs": () => this.queryJobs(),
      "job-cancel": verb("cancel", (t) => this.run(verbs.cancelCalls(), t)),
      "job-pause": verb("pause", (t) => this.run(verbs.pauseCalls(), t)),
      "job-resume": verb("resume", (t) => this.run(verbs.resumeCalls(t.job), t)),
      "job-complete": verb("complete", (t) => this.run(verbs.completeCalls(), t)),
      "job-finalize": verb("finalize", (t) => this.finalize(t)),
      "block-job-complete": (args, context) => this.blockJobComplete(args, context),
      "job-dismiss": verb("dismiss", async (t) => this.dismiss(t)),
      "job-change": (args, context) => this.jobChange(args, context),
      "migrate-set-capabilities": (args, context) => this.setCapabilities(args, context),
      "query-migrate-capabilities": (_args, context) => this.queryCapabilities(context),
    };
  }

  /** Any other command reaches QEMU as sent, and QEMU's answer reaches the client as sent. */
  passThrough(command: string): QmpHandler {
    return (args, context) => {
      // A legacy start passed through becomes an adopted job; its URI is the one thing QEMU's
      // query-migrate does not tell afterwards.
      if ((command === "migrate" || command === "migrate-incoming") && typeof args.uri === "string")
        this.passedUri = { direction: command === "migrate" ? "outgoing" : "incoming", uri: args.uri };
      return passOn(
        this.upstream,
        command,
        args,
        context.oob && this.upstream.oobEnabled,
        context.descriptors,
      );
    };
  }

  /** The migration jobs, as query-jobs lists them. */
  migrationJobs(): JsonObject[] {
    return [...this.jobs.values()]
      .filter((t) => t.announced)
      .map((t) => {
        const transaction = this.transactions.get(t.job.id);
        return transaction ? { ...t.info(), mirrors: transaction.mirrorIds } : t.info();
      });
  }

  /** Waits until every upstream observation received so far has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  close(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  // ---- creating jobs

  /**
   * Job creations run one after another, from the ID check to QEMU's answer. QEMU runs one
   * monitor command at a time and has one migration state: with two starts in flight the facade
   * could not tell whose `setup` QEMU reported (it once credited one job's to the other, whose
   * own `migrate` QEMU refused), two jobs of one ID could pass the ID check, and one creation's
   * capabilities could overwrite the other's.
   */
  private serialStart<T>(create: () => Promise<T>): Promise<T> {
    const run = this.starts.then(create);
    this.starts = run.catch(() => undefined);
    return run;
  }

  private async jobMigrate(allArgs: JsonObject): Promise<undefined> {
    const { mirrors: mirrorsArg, ...args } = allArgs;
    checkArgs(args, {
      "job-id": { kind: "str" },
      uri: { kind: "str" },
      postcopy: { kind: "bool", optional: true },
      "auto-finalize": { kind: "bool", optional: true },
      "auto-dismiss": { kind: "bool", optional: true },
      "max-bandwidth": { kind: "int", optional: true },
      "downtime-limit": { kind: "int", optional: true },
    });
    const mirrors = mirrorsArgument(mirrorsArg);
    const id = args["job-id"] as string;
    await this.checkNewId(id);
    const autoFinalize = args["auto-finalize"] !== false;
    const caps = await relay(this.upstream, "query-migrate-capabilities");
    const postcopy = (args.postcopy as boolean | undefined) ?? capabilityState(caps, "postcopy-ram") ?? false;
    if (postcopy && mirrors.length > 0)
      throw generic("'mirrors' must not be given with 'postcopy': postcopy has no pending hold");
    const transaction =
      mirrors.length > 0 ? await this.formTransaction(id, mirrors, autoFinalize) : undefined;
    await relay(
      this.upstream,
      "migrate-set-capabilities",
      capsArg({
        events: true,
        "postcopy-ram": postcopy,
        // A transaction always holds at pre-switchover; it releases the hold itself (0003).
        "pause-before-switchover": !autoFinalize || transaction !== undefined,
      }),
    );
    const restore = restoreEntries(caps, ["postcopy-ram", "pause-before-switchover"]);
    // From allArgs: the rest object above is a copy, without the literals the client wrote.
    const parameters = pick(allArgs, ["max-bandwidth", "downtime-limit"]);
    if (Object.keys(parameters).length > 0) await relay(this.upstream, "migrate-set-parameters", parameters);
    const options = { id, direction: "outgoing", postcopy, uri: args.uri as string, autoFinalize } as const;
    if (transaction) this.transactions.set(id, transaction);
    try {
      await this.start({ ...options, autoDismiss: args["auto-dismiss"] !== false }, restore, "migrate", {
        uri: options.uri,
      });
    } catch (error) {
      this.transactions.delete(id);
      throw error;
    }
    // The convergence verdict weighs the downtime limit (docs/progress.md).
    const downtime = args["downtime-limit"];
    if (typeof downtime === "number") this.jobs.get(id)?.progress.setDowntimeLimit(downtime);
    return undefined;
  }

  /** Checks the mirrors against QEMU's jobs and forms the migration's transaction (0003). */
  private async formTransaction(id: string, mirrors: string[], autoFinalize: boolean) {
    const holder = (mirrorId: string) =>
      [...this.transactions.values()].find((t) => !t.settled && t.has(mirrorId))?.migrationId;
    const statuses = memberStatuses(mirrors, await relay(this.upstream, "query-jobs"), holder);
    return new SwitchoverTransaction(id, statuses, autoFinalize, this.upstream, (message) =>
      this.options.onAnomaly?.(id, `transaction: ${message}`),
    );
  }

  private async jobMigrateIncoming(args: JsonObject): Promise<undefined> {
    checkArgs(args, {
      "job-id": { kind: "str" },
      uri: { kind: "str" },
      "auto-dismiss": { kind: "bool", optional: true },
    });
    const id = args["job-id"] as string;
    await this.checkNewId(id);
    const caps = await relay(this.upstream, "query-migrate-capabilities");
    await relay(this.upstream, "migrate-set-capabilities", capsArg({ events: true }));
    // The destination must agree to postcopy before the source asks for it; the job machine does
    // not depend on it, so it is turned on when the host can and put back afterwards.
    const postcopyOn = await relay(
      this.upstream,
      "migrate-set-capabilities",
      capsArg({ "postcopy-ram": true }),
    )
      .then(() => true)
      .catch(() => false);
    const restore = postcopyOn ? restoreEntries(caps, ["postcopy-ram"]) : [];
    const uri = args.uri as string;
    const options: MigrationJobOptions = {
      id,
      direction: "incoming",
      postcopy: postcopyOn,
      uri,
      autoFinalize: true,
      autoDismiss: args["auto-dismiss"] !== false,
    };
    await this.start(options, restore, "migrate-incoming", { uri });
    return undefined;
  }

  private async checkNewId(id: string): Promise<void> {
    if (!isWellFormedId(id)) throw invalidId(id);
    if (this.jobs.has(id)) throw idInUse(id);
    const upstreamJobs = await relay(this.upstream, "query-jobs");
    if (Array.isArray(upstreamJobs) && upstreamJobs.some((j) => isJsonObject(j) && j.id === id))
      throw idInUse(id);
  }

  /**
   * Runs the legacy start command; the job exists only if QEMU accepted it. No other start is in
   * flight (`serialStart`), so once no earlier job owns QEMU's migration state, a status QEMU
   * reports while it answers proves it accepted this one: 7.2 enters `setup` before it answers
   * `migrate` (busy for ms), and the job appears at once, as QEMU's own jobs appear before their
   * command returns. While an earlier job still runs, what QEMU reports is that job's; QEMU
   * refuses this start unless that job ends first, and `finish` hands the state over then.
   */
  private async start(
    options: MigrationJobOptions,
    restore: JsonObject[],
    command: string,
    args: JsonObject,
  ): Promise<void> {
    const job = new MigrationJob(options, this.sink());
    const tracked = new TrackedJob(job, restore, this.options.progress);
    // A job the facade still thinks runs may have ended without an event (lost CAS): ask first,
    // so its end is not mistaken for, or mixed up with, this job's start.
    if (this.active) await this.catchUp(this.active);
    this.starting = tracked;
    if (this.active === undefined) this.active = tracked;
    try {
      await relay(this.upstream, command, args);
    } catch (error) {
      this.starting = undefined;
      if (tracked.announced)
        this.apply(tracked, "failed", error instanceof Error ? error.message : String(error));
      else {
        // Refused: no trace. An earlier job keeps QEMU's state; else nobody owns it.
        if (this.active === tracked) this.active = undefined;
        this.restoreCapabilities(tracked);
      }
      throw error;
    }
    this.starting = undefined;
    // A destination's listening address exists once QEMU has answered migrate-incoming; the job's
    // details carry it from the reply on (a client reads query-migrate at once for the port).
    if (options.direction === "incoming") {
      const details = await this.queryMigrate();
      if (details && (this.active === undefined || this.active === tracked)) tracked.noteDetails(details);
    }
    // QEMU accepted a new migration, so the earlier one is over even if its last status is
    // still being checked (a held `failed`, `observeChecked`): QEMU's state is this job's now.
    if (!tracked.finished) this.active = tracked;
    if (!tracked.announced) this.announce(tracked);
    this.startPolling();
    this.scheduleReconcile(tracked);
  }

  private announce(tracked: TrackedJob): void {
    this.jobs.set(tracked.job.id, tracked);
    tracked.announced = true;
    tracked.job.announce();
    this.options.journal?.save({ options: tracked.job.options, restore: tracked.restore, told: "none" });
  }

  /**
   * Takes over the journal's job, as its clients last heard of it, and reports what QEMU did
   * since. QEMU with no migration state (a new QEMU) means the migration died with the old one.
   */
  private async adopt(journal: JobJournal): Promise<void> {
    const entry = journal.load();
    if (!entry) return;
    const details = await this.queryMigrate();
    const tracked = new TrackedJob(replayJob(entry, this.sink()), entry.restore, this.options.progress);
    this.jobs.set(entry.options.id, tracked);
    tracked.announced = true;
    this.active = tracked;
    if (details) tracked.noteDetails(details);
    const status = details?.status;
    if (typeof status === "string" && status !== "none") this.apply(tracked, status, errorDescOf(details));
    else this.apply(tracked, "failed", "QEMU exited during the migration");
    if (this.active === tracked) {
      this.startPolling();
      this.scheduleReconcile(tracked);
    }
  }

  // ---- verbs

  private verbCommand(verb: string, run: VerbHandler): QmpHandler {
    const command = `job-${verb}`;
    return async (args, context) => {
      const tracked = typeof args.id === "string" ? this.jobs.get(args.id) : undefined;
      if (verb === "complete") this.refuseMemberComplete(args.id);
      if (!tracked) return this.passThrough(command)(args, context);
      checkArgs(args, {
        id: { kind: "str" },
        ...(verb === "cancel" ? { force: { kind: "bool", optional: true } } : {}),
      });
      this.requireVerb(tracked, verb);
      await run(tracked, args).catch((error: unknown) => this.refusal(tracked, [verb], error));
      return undefined;
    };
  }

  /**
   * The legacy command behind an accepted verb failed. If the migration moved on meanwhile
   * (another client's command, QEMU's thread), the job client gets the job API's refusal for
   * the status the job is in once the facade has caught up with QEMU, never the legacy text
   * (`Migration not in expected state: cancelling`). A refusal while the job still accepts the
   * verb comes from the migration itself and reaches the client as QEMU wrote it (decision 0001).
   */
  private async refusal(tracked: TrackedJob, verbsNeeded: string[], error: unknown): Promise<never> {
    await this.catchUp(tracked);
    if (this.jobs.get(tracked.job.id) !== tracked) throw jobNotFound();
    for (const verb of verbsNeeded) this.requireVerb(tracked, verb);
    throw error;
  }

  /** Applies what QEMU reports now: one query-migrate, and every observation queued meanwhile. */
  private async catchUp(tracked: TrackedJob): Promise<void> {
    this.enqueue(() => this.reconcile(tracked));
    let tail: Promise<void>;
    do {
      tail = this.queue;
      await tail;
    } while (tail !== this.queue);
  }

  /** A member mirror completes at the switchover only: a pivot now would break the transaction. */
  private refuseMemberComplete(id: unknown): void {
    const holder = [...this.transactions.values()].find(
      (t) => !t.settled && typeof id === "string" && t.has(id),
    );
    if (holder)
      throw generic(
        `Job '${String(id)}' switches over with migration '${holder.migrationId}' and completes with it`,
      );
  }

  private async blockJobComplete(args: JsonObject, context: HandlerContext): Promise<JsonValue | undefined> {
    this.refuseMemberComplete(args.device);
    return this.passThrough("block-job-complete")(args, context);
  }

  private async finalize(tracked: TrackedJob): Promise<void> {
    const transaction = this.transactions.get(tracked.job.id);
    if (transaction) await transaction.finalize();
    else await this.run(verbs.finalizeCalls(), tracked);
  }

  private requireVerb(tracked: TrackedJob, verb: string): void {
    if (!tracked.job.accepts(verb)) throw verbRefused(tracked.job.id, tracked.job.status, verb);
  }

  private async run(calls: verbs.LegacyCall[], tracked: TrackedJob): Promise<void> {
    for (const call of calls) await relay(this.upstream, call.command, call.args);
    if (tracked === this.active) this.scheduleReconcile(tracked);
  }

  private dismiss(tracked: TrackedJob): void {
    tracked.job.dismiss();
    this.jobs.delete(tracked.job.id);
    this.options.journal?.forget(tracked.job.id);
  }

  private async jobChange(args: JsonObject, context: HandlerContext): Promise<undefined> {
    const id = args.id;
    if (typeof id !== "string")
      throw generic(
        id === undefined ? "Parameter 'id' is missing" : "Invalid parameter type for 'id', expected: string",
      );
    const tracked = this.jobs.get(id);
    if (!tracked) {
      const upstreamJobs = await relay(this.upstream, "query-jobs");
      const known = Array.isArray(upstreamJobs) && upstreamJobs.some((j) => isJsonObject(j) && j.id === id);
      if (!known) throw jobNotFound();
      if (args.type === "migration") throw generic("Job type does not match");
      return void (await this.passThrough("job-change")(args, context));
    }
    checkArgs(args, {
      id: { kind: "str" },
      type: { kind: "str" },
      "max-bandwidth": { kind: "int", optional: true },
      "max-postcopy-bandwidth": { kind: "int", optional: true },
      "downtime-limit": { kind: "int", optional: true },
      uri: { kind: "str", optional: true },
    });
    if (args.type !== "migration") throw generic("Job type does not match");
    const change = args as verbs.MigrationChange;
    const needed = verbs.verbsOfChange(change);
    for (const verb of needed) this.requireVerb(tracked, verb);
    await this.run(verbs.changeCalls(change), tracked).catch((e: unknown) =>
      this.refusal(tracked, needed, e),
    );
    if (change.uri !== undefined) tracked.job.uri = change.uri;
    if (change["downtime-limit"] !== undefined) tracked.progress.setDowntimeLimit(change["downtime-limit"]);
    return undefined;
  }

  // ---- what clients read

  private async queryJobs(): Promise<JsonValue> {
    const upstreamJobs = await relay(this.upstream, "query-jobs");
    return [...this.migrationJobs(), ...(Array.isArray(upstreamJobs) ? upstreamJobs : [])];
  }

  /** `events` is the client's own; everything else is set in QEMU with QEMU's checks and errors. */
  private async setCapabilities(args: JsonObject, context: HandlerContext): Promise<undefined> {
    const list = args.capabilities;
    const wanted = Array.isArray(list)
      ? list.find((c) => isJsonObject(c) && c.capability === "events")
      : undefined;
    if (!isJsonObject(wanted)) return void (await relay(this.upstream, "migrate-set-capabilities", args));
    const real = (list as JsonValue[]).map((c) => (c === wanted ? { ...wanted, state: true } : c));
    await relay(this.upstream, "migrate-set-capabilities", { ...args, capabilities: real });
    if (typeof wanted.state === "boolean") this.clients.setEvents(context.session, wanted.state);
    return undefined;
  }

  private async queryCapabilities(context: HandlerContext): Promise<JsonValue> {
    const caps = await relay(this.upstream, "query-migrate-capabilities");
    if (!Array.isArray(caps)) return caps;
    const own = this.clients.eventsOn(context.session);
    return caps.map((c) => (isJsonObject(c) && c.capability === "events" ? { ...c, state: own } : c));
  }

  addClient(client: FacadeClient): void {
    this.clients.add(client);
  }

  removeClient(client: FacadeClient): void {
    this.clients.remove(client);
  }

  // ---- following QEMU

  private upstreamEvent(event: QmpEvent): void {
    this.clients.broadcast(event as unknown as JsonObject & { event: string });
    for (const transaction of this.transactions.values()) transaction.upstreamEvent(event);
    if (event.event !== "MIGRATION" && event.event !== "MIGRATION_PASS") return;
    this.eventCount++;
    const status = event.data?.status;
    if (typeof status === "string") this.observeEvent(status);
    else this.scheduleReconcile(this.active);
  }

  /**
   * Applies an event's status at once and checks it with query-migrate afterwards: QEMU answers
   * that query slowly while it migrates (ms, bench/README.md), and clients should not wait for it.
   * Only where the status cannot be taken as sent is the query made first (`needsQueryFirst`).
   */
  private observeEvent(status: string): void {
    const tracked = this.active;
    if (this.adopting) {
      this.observeAfterAdoption(status);
      return;
    }
    if (!tracked) {
      // No job owns QEMU's migration: someone else started one (decision 0001, 14).
      if (this.starting === undefined && runningStatus({ status }) !== undefined) {
        this.adopting = true;
        this.held++;
        this.enqueue(async () => {
          try {
            await this.adoptRunning(status);
          } finally {
            this.adopting = false;
            this.held--;
          }
        });
      }
      return;
    }
    if (this.held === 0 && !needsQueryFirst(tracked, status)) {
      this.apply(tracked, status, undefined);
      this.scheduleReconcile(tracked);
      return;
    }
    const suspect = misleadingSetup(tracked, status);
    const seen = this.eventCount;
    this.held++;
    this.enqueue(async () => {
      try {
        await this.observeChecked(tracked, status, suspect, seen);
      } finally {
        this.held--;
      }
    });
  }

  /**
   * Applies an event's status with query-migrate's details (error-desc) when QEMU still answers.
   * The answer speaks about this event only if no newer event came since it (`seen`, counted
   * when the event arrived, not when its check started: events queue up behind a slow check).
   * If it then reports another status: a suspect `setup` was a change QEMU did not make (7.2's
   * destination on migrate-recover) and the query wins; any other status did happen, and QEMU
   * set the next one before its event was out, so both are applied in order.
   */
  private async observeChecked(tracked: TrackedJob, status: string, suspect: boolean, seen: number) {
    const details = await this.queryMigrate();
    // A newer job's start was accepted meanwhile: the answer describes that migration.
    if (this.active !== undefined && tracked !== this.active) return this.apply(tracked, status, undefined);
    if (details) tracked.noteDetails(details);
    const current = details && seen === this.eventCount ? details.status : undefined;
    if (typeof current === "string" && current !== status) {
      // Only the suspect `setup` can be a change QEMU did not make; any other event's status
      // did happen, and QEMU may set the next one before its event is out (7.2's destination:
      // postcopy-recover → postcopy-active), so both are told, in order.
      if (suspect)
        this.options.onAnomaly?.(
          tracked.job.id,
          `MIGRATION said '${status}', query-migrate says '${current}'`,
        );
      else this.apply(tracked, status, undefined);
      this.apply(tracked, current, errorDescOf(details));
    } else if (current === undefined && suspect) {
      // A newer event came before the answer: it tells what QEMU did, while a `setup` that may
      // be a lie cannot be confirmed any more (seen under load: the destination job reported
      // substatus setup between postcopy-paused and postcopy-active).
      this.options.onAnomaly?.(tracked.job.id, `MIGRATION said '${status}', not confirmed; dropped`);
    } else this.apply(tracked, status, errorDescOf(details));
  }

  /** An event that came while its migration was being adopted: checked once the job exists. */
  private observeAfterAdoption(status: string): void {
    const seen = this.eventCount;
    this.held++;
    this.enqueue(async () => {
      try {
        const tracked = this.active;
        if (tracked) await this.observeChecked(tracked, status, misleadingSetup(tracked, status), seen);
      } finally {
        this.held--;
      }
    });
  }

  /**
   * Makes the migration QEMU runs a job although no `job-migrate` started it (decision 0001,
   * 14): a `migrate` passed through, another monitor's, `-incoming URI`, or one found at attach.
   * `eventStatus` is the MIGRATION event that revealed it (none at attach). The job gets the
   * default id of its direction, the flags of a legacy-started block job (auto-dismiss; it is
   * finalized automatically unless its starter asked QEMU to hold it with
   * `pause-before-switchover`), and the facade changes none of its capabilities.
   */
  private async adoptRunning(eventStatus: string | undefined): Promise<void> {
    if (this.active || this.upstreamGone) return;
    const seen = this.eventCount;
    const details = await this.queryMigrate();
    const start = eventStatus ?? runningStatus(details);
    if (start === undefined || this.active || this.starting) return;
    const [runState, caps, upstreamJobs] = await Promise.all([
      this.upstream.execute("query-status").catch(() => null),
      this.upstream.execute("query-migrate-capabilities").catch(() => null),
      this.upstream.execute("query-jobs").catch(() => []),
    ]);
    if (this.active || this.starting || this.upstreamGone) return;
    const direction = directionOf(details, runState);
    const upstreamIds = new Set(
      (Array.isArray(upstreamJobs) ? upstreamJobs : []).map((j) => (isJsonObject(j) ? j.id : undefined)),
    );
    const id = adoptedId(direction, (candidate) => this.jobs.has(candidate) || upstreamIds.has(candidate));
    const passed = this.passedUri?.direction === direction ? this.passedUri.uri : undefined;
    const options: MigrationJobOptions = {
      id,
      direction,
      postcopy: capabilityState(caps ?? [], "postcopy-ram") ?? false,
      uri: passed ?? (direction === "incoming" ? uriOfSocketAddress(details) : ""),
      autoFinalize:
        direction === "incoming" || capabilityState(caps ?? [], "pause-before-switchover") !== true,
      autoDismiss: true,
      adopted: true,
    };
    this.passedUri = undefined;
    const tracked = new TrackedJob(new MigrationJob(options, this.sink()), [], this.options.progress);
    this.jobs.set(id, tracked);
    tracked.announced = true;
    this.active = tracked;
    this.options.journal?.save({ options, restore: [], told: "none" });
    if (details) tracked.noteDetails(details);
    tracked.job.adoptAt(start);
    // QEMU may be further on than the event that revealed the migration (no event since the query).
    const now = details?.status;
    if (typeof now === "string" && now !== start && seen === this.eventCount)
      this.apply(tracked, now, errorDescOf(details));
    else if (tracked.job.concluded) this.finish(tracked);
    if (this.active === tracked) {
      this.startPolling();
      this.scheduleReconcile(tracked);
    }
  }

  /** The facade needs MIGRATION events; QEMU refuses the capability while a migration runs. */
  private async turnEventsOn(): Promise<void> {
    if (this.eventsOn || this.upstreamGone) return;
    this.eventsOn = await this.upstream
      .execute("migrate-set-capabilities", capsArg({ events: true }))
      .then(() => true)
      .catch(() => false);
  }

  /** Queues one query-migrate for `tracked`, unless one is queued and not yet sent. */
  private scheduleReconcile(tracked: TrackedJob | undefined): void {
    if (!tracked || this.reconcileQueuedFor === tracked) return;
    this.reconcileQueuedFor = tracked;
    this.enqueue(() => {
      if (this.reconcileQueuedFor === tracked) this.reconcileQueuedFor = undefined;
      return this.reconcile(tracked);
    });
  }

  /**
   * Follows query-migrate when no event arrived since it was sent (a lost CAS changes the status
   * with no event) and no event waits for its own check: their statuses come first, in order.
   * A job that concluded meanwhile still gets QEMU's final details, unless a newer job owns
   * QEMU's migration state by now.
   */
  private async reconcile(tracked: TrackedJob): Promise<void> {
    // Until QEMU answers the start, query-migrate may still describe the previous migration.
    if (!tracked?.announced) return;
    if (tracked !== this.active && (this.active !== undefined || !tracked.finished)) return;
    const seen = this.eventCount;
    const details = await this.queryMigrate();
    if (!details) return;
    if (tracked !== this.active) {
      if (this.active === undefined && tracked.finished) tracked.noteDetails(details);
      return;
    }
    tracked.noteDetails(details);
    // Seen on 7.2 under load: a reconcile queued between migrate-recover's held setup and the
    // held postcopy-recover behind it answered postcopy-active, which skipped recover.
    if (seen === this.eventCount && this.held === 0 && typeof details.status === "string")
      this.apply(tracked, details.status, errorDescOf(details));
  }

  private async queryMigrate(): Promise<JsonObject | undefined> {
    if (this.upstreamGone) return undefined;
    const details = await this.upstream.execute("query-migrate").catch(() => undefined);
    return isJsonObject(details) ? details : undefined;
  }

  private apply(tracked: TrackedJob, status: string, errorDesc: string | undefined): void {
    if (!tracked.announced) {
      // Only a start in flight with QEMU's state to itself learns of its acceptance this way.
      if (tracked !== this.starting || tracked !== this.active) return;
      this.announce(tracked);
    }
    if (tracked.finished) return;
    tracked.job.observe(status, errorDesc);
    const { job } = tracked;
    const transaction = this.transactions.get(job.id);
    if (transaction) transaction.migrationChanged(job.substatus);
    else if (
      job.substatus === "pre-switchover" &&
      job.options.autoFinalize &&
      job.options.direction === "outgoing"
    )
      // Tension 13: a hold nobody asked for is released at once, as QEMU's auto-finalize would.
      void this.upstream.execute("migrate-continue", { state: "pre-switchover" }).catch(() => undefined);
    if (job.concluded) this.finish(tracked);
  }

  private finish(tracked: TrackedJob): void {
    tracked.finished = true;
    if (tracked.job.substatus === "completed") tracked.progress.completed();
    // A start waiting for QEMU's answer owns the state from now on (`start`).
    if (this.active === tracked) this.active = this.starting === tracked ? undefined : this.starting;
    this.transactions.delete(tracked.job.id);
    this.restoreCapabilities(tracked);
    if (tracked.job.options.autoDismiss) this.dismiss(tracked);
    if (!this.active) this.stopPolling();
    if (!this.eventsOn) void this.turnEventsOn();
  }

  private restoreCapabilities(tracked: TrackedJob): void {
    if (tracked.restore.length === 0 || this.upstreamGone) return;
    void this.upstream
      .execute("migrate-set-capabilities", { capabilities: tracked.restore })
      .catch(() => undefined);
  }

  /** QEMU is gone: a job it was running ends with a failure, the way QEMU would have ended it. */
  private upstreamClosed(): void {
    this.upstreamGone = true;
    // The journal's next facade learns from QEMU itself whether the migration survived.
    if (this.options.journal) return;
    this.enqueue(async () => {
      const tracked = this.active;
      if (!tracked) return;
      const why = errorDescOf(tracked.details) ?? "QEMU exited during the migration";
      this.apply(tracked, "failed", why);
    });
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((error: unknown) => {
      this.options.onAnomaly?.(this.active?.job.id ?? "", `facade task failed: ${String(error)}`);
    });
  }

  private startPolling(): void {
    if (this.poller || this.options.pollIntervalMs === 0) return;
    this.poller = setInterval(() => this.scheduleReconcile(this.active), this.options.pollIntervalMs ?? 500);
    this.poller.unref();
  }

  private stopPolling(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  private sink() {
    const emit = (event: string, data: JsonObject) =>
      this.clients.broadcast({ event, data, timestamp: { ...timestampOf(this.clock()) } });
    return {
      statusChanged: (id: string, status: JobStatus) => emit("JOB_STATUS_CHANGE", { id, status }),
      substatusChanged: (id: string, substatus: MigrationStatus, unknown: string | undefined) => {
        this.journalTold(id, substatus);
        emit("JOB_SUBSTATUS_CHANGE", {
          id,
          type: "migration",
          substatus,
          ...(unknown === undefined ? {} : { "unknown-status": unknown }),
        });
      },
      anomaly: this.options.onAnomaly,
    };
  }

  /** The journal follows what the job's clients were told (job-journal.ts). */
  private journalTold(id: string, told: MigrationStatus): void {
    const tracked = this.jobs.get(id);
    if (!this.options.journal || !tracked) return;
    this.options.journal.save({ options: tracked.job.options, restore: tracked.restore, told });
  }
}

/**
 * Statuses that wait for query-migrate before they apply: `failed` needs QEMU's error-desc for
 * the job's error, and QEMU 7.2's destination sends `setup` on migrate-recover while it stays
 * postcopy-paused (decision 0001, "Learned from QEMU 7.2"): only `setup` as the incoming job's
 * first status is true as sent.
 */
function needsQueryFirst(tracked: TrackedJob, status: string): boolean {
  return status === "failed" || misleadingSetup(tracked, status);
}

/** The destination's `setup` after it left `none`: 7.2 sends it on migrate-recover, untrue. */
function misleadingSetup(tracked: TrackedJob, status: string): boolean {
  const { job } = tracked;
  return status === "setup" && job.options.direction === "incoming" && job.substatus !== "none";
}

function capabilityState(caps: JsonValue, name: string): boolean | undefined {
  if (!Array.isArray(caps)) return undefined;
  const entry = caps.find((c) => isJsonObject(c) && c.capability === name);
  return isJsonObject(entry) && typeof entry.state === "boolean" ? entry.state : undefined;
}

function capsArg(states: Record<string, boolean>): JsonObject {
  return { capabilities: Object.entries(states).map(([capability, state]) => ({ capability, state })) };
}

function restoreEntries(caps: JsonValue, names: string[]): JsonObject[] {
  return names.map((capability) => ({ capability, state: capabilityState(caps, capability) ?? false }));
}

/** The members `names` of a client's arguments, with the literals they were written as. */
function pick(args: JsonObject, names: string[]): JsonObject {
  return pickMembers(args, names) as JsonObject;
}

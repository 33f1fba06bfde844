/**
 * The legacy facade (decision 0001, "Consequences"): in front of a backend where migration is a
 * job (`job-migrate`, `query-jobs`, `JOB_SUBSTATUS_CHANGE` of schema/migration-job.json), a
 * legacy client keeps using `migrate`, `migrate_cancel`, `query-migrate` and MIGRATION events
 * with QEMU 7.2's semantics and texts. The migration jobs it creates stay hidden; everything
 * else passes through.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../../src/qmp/json-value.ts";
import { pickMembers } from "../../src/qmp/number-literal.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import { QmpError } from "../../src/qmp/qmp-error.ts";
import { type HandlerContext, QmpCommandError, type QmpHandler } from "../../src/qmp/server-session.ts";
import { checkArgs } from "../job-facade/arguments.ts";
import type { FacadeClient } from "../job-facade/clients.ts";
import { relay, type Upstream } from "../job-facade/upstream.ts";
import { learnDialect, speaksStatus, type UpstreamDialect } from "../upstream-dialect.ts";
import { EventOrder } from "./event-order.ts";
import { LegacyClients } from "./legacy-clients.ts";
import * as errors from "./legacy-errors.ts";
import { type Direction, LegacyJob } from "./legacy-job.ts";
import { isBeyondJobMigrate, letQemuDecide } from "./qemu-decides.ts";

export interface LegacyFacadeOptions {
  /** Prefix of the ids of the jobs the facade creates; default "legacy-migration". */
  jobIdPrefix?: string;
  /** How long a command waits for the backend to report the status QEMU reports at once; default 5 s. */
  settleTimeoutMs?: number;
}

/** Capabilities that are job options in the job API: the facade keeps the client-visible value. */
type JobCapability = "pause-before-switchover" | "postcopy-ram";
const POSTCOPY: readonly string[] = [
  "postcopy-active",
  "postcopy-paused",
  "postcopy-recover",
  "postcopy-recover-setup",
  "postcopy-device",
];
/** How long query-migrate waits for the backend's final MigrationInfo after the end. */
const FINAL_INFO_WAIT_MS = 1000;
const JOB_BACKED_PARAMETERS = ["max-bandwidth", "max-postcopy-bandwidth", "downtime-limit"];

export class LegacyFacade {
  readonly clients: LegacyClients;
  /** The migration query-migrate reports: the current one, or the last one until the next. */
  private job: LegacyJob | undefined;
  private readonly ours = new Map<string, LegacyJob>();
  /** Backend migration jobs this facade did not start, followed as QEMU's migration (0001, 14). */
  private readonly adoptedJobs = new Map<string, LegacyJob>();
  /** Every backend job known to be a migration: its job events never reach legacy clients. */
  private readonly migrationIds = new Set<string>();
  /** Backend jobs known to be no migration (block jobs): their events pass at once. */
  private readonly otherJobs = new Set<string>();
  /** Jobs whose type is being asked, with their events held until the answer. */
  private readonly probing = new Map<string, QmpEvent[]>();
  /** QEMU's MIGRATION statuses relayed while no migration was followed: the next adopted one's. */
  private unclaimedSaid: string[] = [];
  private count = 0;
  /** Whether the backend also sends QEMU's MIGRATION events (a job facade over legacy QEMU). */
  private backendSpeaksMigration = false;
  private readonly order: EventOrder;
  /** Verb calls in flight whose effects QEMU reports only after its reply; see `quietly`. */
  private quietCalls = 0;
  /** Statuses told at once while quiet: those QEMU sends before its reply (`setup`, `cancelling`), one per call. */
  private readonly quietExcepts: string[] = [];
  private readonly deferred: (() => void)[] = [];
  /** The `migrate` / `migrate-incoming` in flight, and a promise that settles once it has; see `afterStarts`. */
  private starts = 0;
  private startChain: Promise<void> = Promise.resolve();

  private constructor(
    readonly upstream: Upstream,
    backendEvents: boolean,
    private readonly caps: Record<JobCapability, boolean>,
    private readonly options: LegacyFacadeOptions,
    /** What the backend's QEMU speaks: clients are told only what that version tells. */
    readonly dialect: UpstreamDialect,
  ) {
    this.clients = new LegacyClients(backendEvents);
    // Passed-through events wait with the statuses a quiet call defers, keeping one order.
    this.order = new EventOrder((event) => this.announce(() => this.clients.broadcast(event)));
    upstream.onEvent((event) => this.upstreamEvent(event));
  }

  /** Attaches to a job backend: remembers the capabilities clients see, then asks for its events. */
  static async attach(upstream: Upstream, options: LegacyFacadeOptions = {}): Promise<LegacyFacade> {
    await requireJobBackend(upstream);
    const dialect = await learnDialect(upstream);
    const caps = await upstream.execute("query-migrate-capabilities");
    const facade = new LegacyFacade(
      upstream,
      capability(caps, "events"),
      {
        "pause-before-switchover": capability(caps, "pause-before-switchover"),
        "postcopy-ram": capability(caps, "postcopy-ram"),
      },
      options,
      dialect,
    );
    // MIGRATION_PASS exists only with `events`; refused while a migration runs, which is harmless.
    await upstream.execute("migrate-set-capabilities", capsArg({ events: true })).catch(() => undefined);
    await facade.adoptAtAttach();
    return facade;
  }

  get handlers(): Record<string, QmpHandler> {
    const after = this.afterStarts;
    return {
      migrate: (args) => this.migrate(args),
      "migrate-incoming": (args) => this.migrateIncoming(args),
      migrate_cancel: after(() => this.cancel()),
      "migrate-continue": after((args) => this.continue(args)),
      "migrate-start-postcopy": after(() => this.startPostcopy()),
      "migrate-pause": after(() => this.pause()),
      "migrate-recover": after((args) => this.recover(args)),
      "migrate-set-capabilities": after((args, context) => this.setCapabilities(args, context)),
      "migrate-set-parameters": after((args) => this.setParameters(args)),
      "query-migrate": after(() => this.queryMigrate()),
      "query-migrate-capabilities": (_args, context) => this.queryCapabilities(context),
      "query-jobs": after(() => this.queryJobs()),
    };
  }

  /**
   * QEMU runs one command at a time, and `migrate` / `migrate-incoming` reach their first status
   * inside the command: a command of another client sent meanwhile sees the state after it (the
   * new migration, or the old one when it was refused), never the job being created. The facade's
   * start spans backend round trips, so the commands that read the migration wait for it.
   */
  private readonly afterStarts =
    (handler: QmpHandler): QmpHandler =>
    async (args, context) => {
      while (this.starts > 0) await this.startChain;
      return handler(args, context);
    };

  /** Runs starts one after another (two clients' `migrate`s: QEMU runs one, then refuses the other). */
  private exclusiveStart<T>(run: () => Promise<T>): Promise<T> {
    this.starts++;
    const result = this.startChain.then(run).finally(() => this.starts--);
    this.startChain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  passThrough(command: string): QmpHandler {
    return (args, context) =>
      relay(this.upstream, command, args, context.oob && this.upstream.oobEnabled, context.descriptors);
  }

  addClient(client: FacadeClient): void {
    this.clients.add(client);
  }

  removeClient(client: FacadeClient): void {
    this.clients.remove(client);
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  /** Tells clients what is still held back (by quiet windows or event order) before they go. */
  close(): void {
    for (const send of this.deferred.splice(0)) send();
    this.order.flush();
  }

  // ---- starting

  private async migrate(args: JsonObject): Promise<undefined> {
    checkArgs(args, {
      uri: { kind: "str" },
      blk: { kind: "bool", optional: true },
      inc: { kind: "bool", optional: true },
      detach: { kind: "bool", optional: true },
      resume: { kind: "bool", optional: true },
    });
    const uri = args.uri as string;
    return this.exclusiveStart(async () => {
      if (args.resume === true) return this.resumeOutgoing(uri);
      if (isBeyondJobMigrate(args)) return this.startInQemu(args);
      const previous = this.job;
      if (previous?.running) throw errors.migrationActive();
      await this.start("outgoing", previous, "job-migrate", {
        uri,
        postcopy: this.caps["postcopy-ram"],
        "auto-finalize": !this.caps["pause-before-switchover"],
      });
      return undefined;
    });
  }

  private async migrateIncoming(args: JsonObject): Promise<undefined> {
    checkArgs(args, { uri: { kind: "str" } });
    const uri = args.uri as string;
    await this.exclusiveStart(() => this.start("incoming", this.job, "job-migrate-incoming", { uri }));
    return undefined;
  }

  /**
   * `migrate` resets what query-migrate shows (QEMU's reset = dismissing the concluded job), then
   * the job starts; the reply waits for `setup`, which QEMU announces before it answers.
   */
  private async start(
    direction: Direction,
    previous: LegacyJob | undefined,
    command: string,
    args: JsonObject,
  ) {
    const job = new LegacyJob(
      `${this.options.jobIdPrefix ?? "legacy-migration"}-${++this.count}`,
      direction,
      this.dialect.behaviour.listeningReportsSetup,
    );
    this.ours.set(job.id, job);
    this.migrationIds.add(job.id);
    this.unclaimedSaid = [];
    this.job = job;
    this.order.reset();
    // QEMU announces `setup` before it answers; everything after comes from the migration,
    // after the reply, even when the backend reports it before its own reply.
    await this.quietly(async () => {
      try {
        await relay(this.upstream, command, { "job-id": job.id, ...args, "auto-dismiss": false });
      } catch (error) {
        await this.refusedStart(job, previous);
        throw error;
      }
      if (previous?.concluded && previous !== job) void this.dismiss(previous);
      await this.until(job, (s) => s !== "none");
    }, "setup");
  }

  /**
   * A `migrate` the job API cannot express (block migration) goes to QEMU as it is: the QEMU
   * behind performs or refuses it, and the job backend makes it a job of its own (decision 0001,
   * 14), which this facade follows as QEMU's migration. As for its own starts, the reply waits
   * for `setup`, which QEMU announces before it answers.
   */
  private async startInQemu(args: JsonObject): Promise<undefined> {
    const previous = this.job;
    if (previous?.running) throw errors.migrationActive();
    await this.quietly(async () => {
      await letQemuDecide(this.upstream, "migrate", args);
      const deadline = Date.now() + (this.options.settleTimeoutMs ?? 5000);
      while ((this.job === previous || !this.job?.told) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
    }, "setup");
    return undefined;
  }

  /**
   * A backend that announced the job before refusing its start ended it; no job stays behind.
   * QEMU 7.2's source enters setup before it checks the URI and then reports that migration as
   * failed; its destination only announces `setup` and keeps its state, so the previous
   * migration stays the one query-migrate reports.
   */
  private async refusedStart(job: LegacyJob, previous: LegacyJob | undefined): Promise<void> {
    if (job.direction === "outgoing" && job.concluded) {
      await this.jobEntry(job);
      job.finalInfo = true;
      if (previous?.concluded) void this.dismiss(previous);
    } else this.job = previous;
    await this.dismiss(job);
  }

  private async dismiss(job: LegacyJob): Promise<void> {
    await this.upstream.execute("job-dismiss", { id: job.id }).catch(() => undefined);
    this.ours.delete(job.id);
  }

  // ---- steering

  /** QEMU's migrate_cancel: a silent no-op unless an outgoing migration can be cancelled. */
  private async cancel(): Promise<undefined> {
    const job = this.job;
    if (job?.direction !== "outgoing") return undefined;
    await this.until(job, (s) => s !== "none");
    if (job.concluded) return undefined;
    // QEMU sets cancelling again (a same-status change) and reports it again.
    if (job.substatus === "cancelling") {
      this.tell(job, "cancelling");
      return undefined;
    }
    // The job API refuses cancel in postcopy; the QEMU behind decides (7.2 obeys, 10.0 refuses).
    if (POSTCOPY.includes(job.substatus)) {
      await this.quietly(async () => {
        await letQemuDecide(this.upstream, "migrate_cancel");
        await this.until(job, (s) => job.concluded || s === "cancelling");
      }, "cancelling");
      return undefined;
    }
    // QEMU enters cancelling before it answers; what follows comes from its migration thread,
    // after the reply. A backend that reports the end first has it told after the reply.
    await this.quietly(async () => {
      const accepted = await relay(this.upstream, "job-cancel", { id: job.id }).then(
        () => true,
        () => false, // concluded meanwhile: the cancel had nothing left to do, as in QEMU
      );
      if (accepted) await this.until(job, (s) => job.concluded || s === "cancelling");
    }, "cancelling");
    return undefined;
  }

  private async continue(args: JsonObject): Promise<undefined> {
    checkArgs(args, { state: { kind: "str" } });
    const job = this.job?.direction === "outgoing" ? this.job : undefined;
    const current = job?.substatus ?? "none";
    if (!job || args.state !== current) throw errors.notInExpectedState(current);
    // Precopy holds in pending (finalize); the postcopy machine holds in standby (resume).
    const entry = await this.jobEntry(job);
    const verb = entry?.status === "standby" ? "job-resume" : "job-finalize";
    await this.quietly(() => relay(this.upstream, verb, { id: job.id })).catch((error: unknown) =>
      this.continueRefused(job, error),
    );
    return undefined;
  }

  /**
   * The job left the hold between our check and the verb (a migrate_cancel got in first): QEMU
   * checks the state when the command arrives, so its client hears that the migration is no
   * longer where it expected, not the job API's verb refusal. QEMU's own errors pass unchanged.
   */
  private async continueRefused(job: LegacyJob, error: unknown): Promise<never> {
    if (!(error instanceof QmpCommandError) || !isJobRefusal(error.desc)) throw error;
    await this.jobEntry(job);
    throw errors.notInExpectedState(job.substatus);
  }

  /**
   * QEMU 7.2 only raises a flag, answered at once: in `active` the switch follows; asked earlier
   * it is kept and the switch comes once the migration is active; later it changes nothing.
   */
  private async startPostcopy(): Promise<undefined> {
    if (!this.caps["postcopy-ram"]) throw errors.postcopyNotEnabled();
    const job = this.job?.direction === "outgoing" ? this.job : undefined;
    if (!job) throw errors.postcopyBeforeStart();
    if (job.substatus === "active")
      await this.quietly(() => relay(this.upstream, "job-complete", { id: job.id })).catch(() => undefined);
    else if (job.substatus === "none" || job.substatus === "setup") job.postcopyRequested = true;
    return undefined;
  }

  /** The postcopy switch asked before `active`, now that the job is there; no reply waits on it. */
  private completeRequested(job: LegacyJob): void {
    if (!job.postcopyRequested) return;
    job.postcopyRequested = false;
    void this.upstream.execute("job-complete", { id: job.id }).catch(() => undefined);
  }

  private async pause(): Promise<undefined> {
    const job = this.job;
    // Outside postcopy-active, QEMU's own answer: its refusal's words differ by version, and
    // 10.0 also pauses in postcopy-recover (the facade then follows it into postcopy-paused).
    if (job?.substatus !== "postcopy-active") {
      await letQemuDecide(this.upstream, "migrate-pause");
      return undefined;
    }
    await this.quietly(() => this.verbOrQemu(job, [["job-pause", {}]], "migrate-pause", {}));
    return undefined;
  }

  /**
   * The job verbs of a legacy command, or, where the job API refuses them for the job's status
   * (postcopy held before its switchover runs in pending, which has no pause or resume), the
   * legacy command itself, for the QEMU behind to answer.
   */
  private async verbOrQemu(
    job: LegacyJob,
    verbs: readonly (readonly [string, JsonObject])[],
    command: string,
    args: JsonObject,
  ): Promise<void> {
    try {
      for (const [verb, extra] of verbs) await relay(this.upstream, verb, { id: job.id, ...extra });
    } catch (error) {
      if (!(error instanceof QmpCommandError) || !isJobRefusal(error.desc)) throw error;
      await letQemuDecide(this.upstream, command, args);
    }
  }

  private async recover(args: JsonObject): Promise<undefined> {
    checkArgs(args, { uri: { kind: "str" } });
    const job = this.job;
    if (job?.direction !== "incoming" || job.substatus !== "postcopy-paused")
      throw errors.recoverOnlyWhenPaused();
    await this.resumeOn(job, args.uri as string);
    return undefined;
  }

  private async resumeOutgoing(uri: string): Promise<undefined> {
    const job = this.job;
    if (job?.direction !== "outgoing" || job.substatus !== "postcopy-paused")
      throw errors.noPausedMigration();
    // A QEMU whose schema has postcopy-recover-setup (9.1 on) enters it inside `migrate
    // resume=true` and announces it before answering (measured on 10.0.2); 7.2 answers first.
    const announced = this.dialect.migrationStatuses?.includes("postcopy-recover-setup")
      ? "postcopy-recover-setup"
      : undefined;
    await this.resumeOn(job, uri, announced);
    return undefined;
  }

  private async resumeOn(job: LegacyJob, uri: string, announcedBeforeReply?: string): Promise<void> {
    const [command, args] =
      job.direction === "incoming" ? ["migrate-recover", { uri }] : ["migrate", { uri, resume: true }];
    await this.quietly(async () => {
      await this.verbOrQemu(
        job,
        [
          ["job-change", { type: "migration", uri }],
          ["job-resume", {}],
        ],
        command,
        args,
      );
      if (announcedBeforeReply) await this.until(job, (s) => s !== "postcopy-paused");
    }, announcedBeforeReply);
  }

  // ---- settings

  /** `events` is the client's own; the job options are kept for the next job; QEMU checks all. */
  private async setCapabilities(args: JsonObject, context: HandlerContext): Promise<undefined> {
    if (this.job?.running) throw errors.migrationActive();
    const list = Array.isArray(args.capabilities) ? args.capabilities : undefined;
    const forwarded = list?.map((c) =>
      isJsonObject(c) && c.capability === "events" ? { ...c, state: true } : c,
    );
    await relay(
      this.upstream,
      "migrate-set-capabilities",
      forwarded ? { ...args, capabilities: forwarded } : args,
    );
    for (const entry of list ?? []) {
      if (!isJsonObject(entry) || typeof entry.state !== "boolean") continue;
      if (entry.capability === "events") this.clients.setEvents(context.session, entry.state);
      if (entry.capability === "pause-before-switchover" || entry.capability === "postcopy-ram")
        this.caps[entry.capability] = entry.state;
    }
    return undefined;
  }

  private async queryCapabilities(context: HandlerContext): Promise<JsonValue> {
    const caps = await relay(this.upstream, "query-migrate-capabilities");
    if (!Array.isArray(caps)) return caps;
    return caps.map((c) => {
      if (!isJsonObject(c)) return c;
      if (c.capability === "events") return { ...c, state: this.clients.eventsOn(context.session) };
      if (c.capability === "pause-before-switchover" || c.capability === "postcopy-ram")
        return { ...c, state: this.caps[c.capability] };
      return c;
    });
  }

  /** Bandwidth and downtime of a running migration are job-change; the rest goes to the backend. */
  private async setParameters(args: JsonObject): Promise<undefined> {
    const job = this.job;
    const backed = Object.keys(args).filter((k) => JOB_BACKED_PARAMETERS.includes(k));
    if (!job?.running || backed.length === 0)
      return void (await relay(this.upstream, "migrate-set-parameters", args));
    // pickMembers, not spreads: the forwarded numbers keep the literals the client wrote.
    const change = pickMembers(args, backed) as JsonObject;
    change.id = job.id;
    change.type = "migration";
    const changed = await relay(this.upstream, "job-change", change).then(
      () => true,
      () => false,
    );
    if (!changed) return void (await relay(this.upstream, "migrate-set-parameters", args));
    const rest = pickMembers(
      args,
      Object.keys(args).filter((k) => !backed.includes(k)),
    ) as JsonObject;
    if (Object.keys(rest).length > 0) await relay(this.upstream, "migrate-set-parameters", rest);
    return undefined;
  }

  // ---- what clients read

  private async queryMigrate(): Promise<JsonValue> {
    const job = this.job;
    // No migration followed yet: QEMU's own answer where the backend still has the command.
    if (!job) return this.backendQueryMigrate({});
    if (job.adopted) {
      if (!job.concluded) await this.jobEntry(job);
      // Ended: the backend dismissed the job (auto-dismiss); QEMU keeps the final answer.
      return job.concluded ? this.backendQueryMigrate(job.view()) : job.view();
    }
    if (!job.finalInfo) await this.jobEntry(job);
    // The job facade can report the end before its MigrationInfo has caught up; QEMU's answer
    // after the end is the final one, so wait a little for it.
    const deadline = Date.now() + FINAL_INFO_WAIT_MS;
    while (job.concluded && !job.finalInfo && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await this.jobEntry(job);
    }
    return job.view();
  }

  /** The backend's query-migrate (a job facade passes QEMU's), else what the facade knows. */
  private async backendQueryMigrate(fallback: JsonObject): Promise<JsonValue> {
    return this.upstream.execute("query-migrate").catch(() => fallback);
  }

  /** Jobs as the backend lists them, without migrations: QEMU never lists one as a job. */
  private async queryJobs(): Promise<JsonValue> {
    const jobs = await relay(this.upstream, "query-jobs");
    return Array.isArray(jobs)
      ? jobs.filter((j) => !(isJsonObject(j) && (j.type === "migration" || this.ours.has(String(j.id)))))
      : jobs;
  }

  /** The backend's entry for the job; brings its details and status up to date. */
  private async jobEntry(job: LegacyJob): Promise<JsonObject | undefined> {
    const reports = job.reports;
    const jobs = await this.upstream.execute("query-jobs").catch(() => undefined);
    const entry = Array.isArray(jobs) ? jobs.find((j) => isJsonObject(j) && j.id === job.id) : undefined;
    if (!isJsonObject(entry)) return undefined;
    const status = entry["unknown-status"] ?? entry.substatus;
    // An answer sent before the job ended must not replace the final MigrationInfo.
    if (job.finalInfo || (job.concluded && status !== job.substatus)) return entry;
    const details = isJsonObject(entry.details) ? entry.details : undefined;
    if (details) job.info = details;
    // An event that arrived meanwhile is newer than this answer (seen: postcopy-recover told again
    // after postcopy-active, from an answer read after the event that came behind it).
    if (typeof status === "string" && job.reports === reports) this.observe(job, status);
    // Final once the details describe the end (their status, when they carry one, says so).
    if (job.concluded && (details?.status === undefined || details.status === job.substatus))
      job.finalInfo = true;
    return entry;
  }

  /** Waits until `done` holds for the job's status, asking the backend now and then. */
  private async until(job: LegacyJob, done: (status: string) => boolean): Promise<void> {
    const deadline = Date.now() + (this.options.settleTimeoutMs ?? 5000);
    while (!done(job.substatus) && Date.now() < deadline) {
      await job.nextChange(100);
      if (!done(job.substatus)) await this.jobEntry(job);
    }
  }

  // ---- following the backend

  private upstreamEvent(event: QmpEvent): void {
    const data = event.data ?? {};
    const id = typeof data.id === "string" ? data.id : undefined;
    const job = id === undefined ? undefined : (this.ours.get(id) ?? this.adoptedJobs.get(id));
    const isJobEvent = event.event === "JOB_SUBSTATUS_CHANGE" || event.event === "JOB_STATUS_CHANGE";
    if (isJobEvent && id !== undefined && !job && !this.migrationIds.has(id) && !this.otherJobs.has(id)) {
      this.probe(id, event);
      return;
    }
    switch (event.event) {
      case "JOB_SUBSTATUS_CHANGE":
        if (!job) return;
        job.reports++;
        // A job no longer followed (an adopted one superseded by this facade's own) stays silent.
        if (job === this.job)
          this.observe(job, String(data["unknown-status"] ?? data.substatus), event.timestamp);
        return;
      case "JOB_STATUS_CHANGE":
        // QEMU never reports a migration as a job.
        if (job || (id !== undefined && this.migrationIds.has(id))) {
          if (data.status === "null" && id !== undefined) this.adoptedJobs.delete(id);
          return;
        }
        if (data.status === "null" && id !== undefined) this.otherJobs.delete(id);
        break;
      case "MIGRATION":
        // Told from the job's substatus instead; kept as evidence of what QEMU itself said.
        this.backendSpeaksMigration = true;
        if (typeof data.status !== "string") return;
        if (this.job && !this.job.concluded) {
          this.job.backendSaid.add(data.status);
          this.order.said(data.status);
        } else {
          // A migration nobody here started: its job is announced after QEMU's event.
          if (data.status === "setup") this.unclaimedSaid = [];
          this.unclaimedSaid.push(data.status);
        }
        return;
    }
    this.order.pass(event as unknown as JsonObject & { event: string });
  }

  // ---- migrations this facade did not start (decision 0001, 14)

  /**
   * A job event of an unknown job: is it a migration (then followed as QEMU's migration) or a
   * block job (then its events pass)? Its events wait for query-jobs' answer, in order.
   */
  private probe(id: string, event: QmpEvent): void {
    const held = this.probing.get(id);
    if (held) {
      held.push(event);
      return;
    }
    this.probing.set(id, [event]);
    void this.upstream
      .execute("query-jobs")
      .catch(() => [])
      .then((jobs) => {
        const events = this.probing.get(id) ?? [];
        this.probing.delete(id);
        const entry = Array.isArray(jobs) ? jobs.find((j) => isJsonObject(j) && j.id === id) : undefined;
        const migration =
          (isJsonObject(entry) && entry.type === "migration") ||
          events.some((e) => e.event === "JOB_SUBSTATUS_CHANGE");
        if (migration) this.adoptJob(id, isJsonObject(entry) ? entry : undefined, false);
        else this.otherJobs.add(id);
        for (const held of events) this.upstreamEvent(held);
      });
  }

  /** At attach: a migration job the backend already runs is the migration query-migrate shows. */
  private async adoptAtAttach(): Promise<void> {
    const jobs = await this.upstream.execute("query-jobs").catch(() => []);
    if (!Array.isArray(jobs)) return;
    for (const entry of jobs) {
      if (!isJsonObject(entry) || entry.type !== "migration" || typeof entry.id !== "string") continue;
      this.migrationIds.add(entry.id);
      if (entry.status !== "concluded" && entry.status !== "null" && !this.job)
        this.adoptJob(entry.id, entry, true);
    }
  }

  /**
   * Follows the backend's migration job `id`, whatever its id: another job client's, or one the
   * job facade adopted (a migration started around it). Not while this facade's own migration
   * runs: QEMU has one. At attach the job is taken where it is, nothing told; found by its
   * events, it is told from them as QEMU told them.
   */
  private adoptJob(id: string, entry: JsonObject | undefined, atAttach: boolean): void {
    this.migrationIds.add(id);
    const direction: Direction = entry?.direction === "incoming" ? "incoming" : "outgoing";
    const job = new LegacyJob(id, direction, this.dialect.behaviour.listeningReportsSetup);
    job.adopted = true;
    this.adoptedJobs.set(id, job);
    const current = this.job;
    if (current && !current.concluded && !current.adopted) return;
    if (current?.concluded && this.ours.has(current.id)) void this.dismiss(current);
    this.job = job;
    this.order.reset();
    for (const status of this.unclaimedSaid.splice(0)) {
      job.backendSaid.add(status);
      this.order.said(status);
    }
    if (isJsonObject(entry?.details)) job.info = entry.details;
    if (!atAttach) return;
    const status = entry?.["unknown-status"] ?? entry?.substatus;
    if (typeof status === "string") job.setSubstatus(status);
    job.told = true;
  }

  /**
   * A new status for the job, told to clients as QEMU would tell it. Every 7.2 migration starts
   * with `setup` (on both sides), which a backend may compress away; it is told first. A
   * `failed` the backend invented because its QEMU vanished is not told: the legacy client of a
   * dead QEMU sees only its connection drop. When the backend relays QEMU's own MIGRATION events,
   * only a failure QEMU announced counts.
   */
  private observe(job: LegacyJob, status: string, timestamp?: QmpEvent["timestamp"]): void {
    if (status === job.substatus || job.concluded) return;
    // `setup` only ever starts a migration; a backend that reports it later is out of order.
    if (status === "setup" && job.told) return;
    if (!job.told && status !== "setup" && status !== "none") this.tell(job, "setup", timestamp);
    // QEMU reaches `cancelled` only through `cancelling`, which a backend may compress away.
    if (status === "cancelled" && job.substatus !== "cancelling") this.tell(job, "cancelling", timestamp);
    if (status === "failed" && this.backendSpeaksMigration && !job.backendSaid.has("failed")) {
      job.setSubstatus(status);
      this.announce(() => this.order.told(status, true));
      return;
    }
    this.tell(job, status, timestamp);
  }

  private tell(job: LegacyJob, status: string, timestamp?: QmpEvent["timestamp"]): void {
    job.setSubstatus(status);
    job.told = true;
    if (status === "active") this.completeRequested(job);
    // libvirt fails on a status its QEMU does not have: one the backend's version lacks is not told.
    if (!speaksStatus(this.dialect, status)) return;
    const time = timestamp ?? nowTimestamp();
    // QEMU 7.2 announces an incoming `setup` to every monitor, events on or not; 10.0 does not.
    const ungated =
      job.direction === "incoming" && status === "setup" && this.dialect.behaviour.incomingSetupIgnoresEvents;
    const ended = job.concluded;
    this.announce(() => {
      this.clients.broadcast({ event: "MIGRATION", data: { status }, timestamp: { ...time } }, { ungated });
      this.order.told(status, ended);
    }, status);
  }

  /**
   * Sends now, or after the quiet calls' replies. A status a quiet call tells before its reply
   * (`cancelling`, `setup`) came after everything held back so far: QEMU's order comes first, so
   * what is held goes out before it (a held status then precedes the reply of the command that
   * caused it, where QEMU would put it after; event order does not change).
   */
  private announce(send: () => void, status?: string): void {
    const early = status !== undefined && this.quietExcepts.includes(status);
    if (this.quietCalls > 0 && !early) this.deferred.push(send);
    else {
      for (const held of this.deferred.splice(0)) held();
      send();
    }
  }

  /**
   * Runs a job verb whose legacy command QEMU answers before anything it causes happens
   * (migrate-continue, migrate-start-postcopy, migrate-pause, migrate-recover): statuses the
   * backend reports meanwhile are told right after the reply, which the session sends in the
   * microtasks that follow the handler, before the next macrotask.
   */
  private async quietly<T>(run: () => Promise<T>, except?: string): Promise<T> {
    this.quietCalls++;
    if (except !== undefined) this.quietExcepts.push(except);
    try {
      return await run();
    } finally {
      setImmediate(() => {
        this.quietCalls--;
        if (except !== undefined) this.quietExcepts.splice(this.quietExcepts.indexOf(except), 1);
        if (this.quietCalls > 0) return;
        for (const send of this.deferred.splice(0)) send();
      });
    }
  }
}

/**
 * A legacy QEMU has no job-migrate, and every migrate would fail with "command not found".
 * Probing with no arguments is harmless: a job backend refuses it for the missing job-id.
 */
async function requireJobBackend(upstream: Upstream): Promise<void> {
  const refusal = await upstream.execute("job-migrate", {}).then(
    () => undefined,
    (error: unknown) => error,
  );
  if (refusal instanceof QmpError && refusal.errorClass === "CommandNotFound")
    throw new Error(
      "the upstream has no job-migrate: the legacy facade needs a job backend (e.g. a '--facade jobs' proxy in front of QEMU)",
    );
}

/** The job API's refusal of a verb in the job's current state (job-errors.ts, QEMU's job.c text). */
function isJobRefusal(desc: string): boolean {
  return /^Job '.*' in state '[^']*' cannot accept command verb '[^']*'$/.test(desc);
}

function capability(caps: JsonValue, name: string): boolean {
  if (!Array.isArray(caps)) return false;
  const entry = caps.find((c) => isJsonObject(c) && c.capability === name);
  return isJsonObject(entry) && entry.state === true;
}

function capsArg(states: Record<string, boolean>): JsonObject {
  return { capabilities: Object.entries(states).map(([capability, state]) => ({ capability, state })) };
}

function nowTimestamp(): QmpEvent["timestamp"] {
  const micros = Date.now() * 1000;
  return { seconds: Math.floor(micros / 1e6), microseconds: micros % 1e6 };
}

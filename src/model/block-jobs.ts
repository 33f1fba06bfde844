/**
 * The block-job subset the facades pass through: `null-co` nodes (`blockdev-add`), a mirror
 * between two of them (`blockdev-mirror`) that copies at once, as a null-co mirror does on
 * QEMU 7.2, and the generic `job-*` verbs over QEMU's JobSTT and verb table, with QEMU's events
 * (JOB_STATUS_CHANGE, BLOCK_JOB_READY/PENDING/COMPLETED/CANCELLED) and texts.
 */
import type { JsonObject, JsonValue } from "../qmp/json-value.ts";
import { QmpCommandError } from "../qmp/server-session.ts";

const generic = (desc: string) => new QmpCommandError("GenericError", desc);

/** QEMU's JobVerbTable (7.2: no `change` row): the states in which each verb is allowed. */
const VERBS: Record<string, readonly string[]> = {
  cancel: ["created", "running", "paused", "ready", "standby", "waiting", "pending"],
  pause: ["created", "running", "paused", "ready", "standby"],
  resume: ["created", "running", "paused", "ready", "standby"],
  "set-speed": ["created", "running", "paused", "ready", "standby"],
  complete: ["ready", "standby"],
  finalize: ["pending"],
  dismiss: ["concluded"],
};

interface MirrorJob {
  id: string;
  status: string;
  len: number;
  speed: number;
  autoFinalize: boolean;
  autoDismiss: boolean;
  pauseCount: number;
  error?: string;
}

export class BlockJobs {
  private readonly nodes = new Map<string, number>();
  private readonly jobs = new Map<string, MirrorJob>();

  constructor(
    private readonly emit: (event: string, data: JsonObject) => void,
    /** Runs after the current reply went out (QEMU completes a job in a later main-loop turn). */
    private readonly later: (fn: () => void) => void,
  ) {}

  get handlers(): Record<string, (args: JsonObject) => JsonValue | undefined> {
    return {
      "blockdev-add": (a) => this.add(a),
      "blockdev-mirror": (a) => this.mirror(a),
      "query-jobs": () => this.query(),
      "job-complete": (a) => this.verb(a, "complete", (j) => this.later(() => this.complete(j))),
      "job-finalize": (a) => this.verb(a, "finalize", (j) => this.finalize(j)),
      "job-dismiss": (a) => this.verb(a, "dismiss", (j) => this.dismiss(j)),
      "job-cancel": (a) => this.verb(a, "cancel", (j) => this.later(() => this.cancel(j))),
      "job-pause": (a) => this.verb(a, "pause", (j) => this.pause(j)),
      "job-resume": (a) => this.verb(a, "resume", (j) => this.resume(j)),
    };
  }

  private add(args: JsonObject): undefined {
    const name = args["node-name"];
    if (args.driver !== "null-co")
      throw generic(`The model only has null-co nodes, not '${String(args.driver)}'`);
    if (typeof name !== "string") throw generic("A node-name is required by the model");
    if (this.nodes.has(name)) throw generic(`Duplicate nodes with node-name='${name}'`);
    this.nodes.set(name, typeof args.size === "number" ? args.size : 1 << 30);
    return undefined;
  }

  private mirror(args: JsonObject): undefined {
    const device = String(args.device);
    const id = typeof args["job-id"] === "string" ? args["job-id"] : device;
    const len = this.nodes.get(device);
    if (len === undefined) throw generic(`Cannot find device='${device}' nor node-name='${device}'`);
    if (!this.nodes.has(String(args.target))) throw generic(`Cannot find node-name '${String(args.target)}'`);
    if (this.jobs.has(id)) throw generic(`Job ID '${id}' already in use`);
    const job: MirrorJob = {
      id,
      status: "undefined",
      len,
      speed: typeof args.speed === "number" ? args.speed : 0,
      autoFinalize: args["auto-finalize"] !== false,
      autoDismiss: args["auto-dismiss"] !== false,
      pauseCount: 0,
    };
    this.jobs.set(id, job);
    this.to(job, "created");
    this.to(job, "running");
    // A null-co source has nothing to copy: the mirror is in sync at once.
    this.to(job, "ready");
    this.emit("BLOCK_JOB_READY", this.blockInfo(job));
    return undefined;
  }

  private query(): JsonObject[] {
    return [...this.jobs.values()].map((j) => ({
      "current-progress": j.len,
      status: j.status,
      "total-progress": j.len,
      type: "mirror",
      id: j.id,
      ...(j.error ? { error: j.error } : {}),
    }));
  }

  private verb(args: JsonObject, verb: string, act: (job: MirrorJob) => void): undefined {
    const job = this.jobs.get(String(args.id));
    if (!job) throw generic("Job not found");
    if (!VERBS[verb]?.includes(job.status))
      throw generic(`Job '${job.id}' in state '${job.status}' cannot accept command verb '${verb}'`);
    act(job);
    return undefined;
  }

  private complete(job: MirrorJob): void {
    this.to(job, "waiting");
    this.to(job, "pending");
    this.emit("BLOCK_JOB_PENDING", { type: "mirror", id: job.id });
    if (job.autoFinalize) this.finalize(job);
  }

  private finalize(job: MirrorJob): void {
    this.emit("BLOCK_JOB_COMPLETED", this.blockInfo(job));
    this.conclude(job);
  }

  private cancel(job: MirrorJob): void {
    job.error = "Operation canceled";
    this.to(job, "aborting");
    this.emit("BLOCK_JOB_CANCELLED", this.blockInfo(job));
    this.conclude(job);
  }

  private pause(job: MirrorJob): void {
    job.pauseCount++;
    if (job.status === "running") this.to(job, "paused");
    else if (job.status === "ready") this.to(job, "standby");
  }

  private resume(job: MirrorJob): void {
    if (job.pauseCount === 0) throw generic("Can't resume a job that was not paused");
    if (--job.pauseCount > 0) return;
    if (job.status === "paused") this.to(job, "running");
    else if (job.status === "standby") this.to(job, "ready");
  }

  private conclude(job: MirrorJob): void {
    this.to(job, "concluded");
    if (job.autoDismiss) this.dismiss(job);
  }

  private dismiss(job: MirrorJob): void {
    this.to(job, "null");
    this.jobs.delete(job.id);
  }

  private blockInfo(job: MirrorJob): JsonObject {
    return { device: job.id, len: job.len, offset: job.len, speed: job.speed, type: "mirror" };
  }

  private to(job: MirrorJob, status: string): void {
    job.status = status;
    this.emit("JOB_STATUS_CHANGE", { id: job.id, status });
  }
}

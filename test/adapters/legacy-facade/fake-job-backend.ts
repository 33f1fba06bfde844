/**
 * Test-only: a scripted job backend — what the legacy facade expects below it (the job facade,
 * or a QEMU where migration is a job). It keeps migration jobs with a substatus and details,
 * answers the job-* commands, and reports changes with JOB_STATUS_CHANGE / JOB_SUBSTATUS_CHANGE.
 * Tests move a job with `sub`; `calls` shows what the facade sent.
 */
import type { Upstream } from "../../../adapters/job-facade/upstream.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../../src/qmp/protocol.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";

interface FakeJob {
  id: string;
  status: string;
  substatus: string;
  details: JsonObject;
  error?: string;
  /** Listed only when set: the job facade's MigrationJobInfo member. */
  direction?: "outgoing" | "incoming";
}

const ENDED = ["completed", "failed", "cancelled"];

export class FakeJobBackend implements Upstream {
  readonly jobs = new Map<string, FakeJob>();
  readonly calls: { command: string; args: JsonObject | undefined }[] = [];
  readonly caps = new Map<string, boolean>([
    ["events", false],
    ["postcopy-ram", false],
    ["pause-before-switchover", false],
  ]);
  readonly oobEnabled = false;
  /** Set to make the next job-migrate fail with this text. */
  refuseNext: string | undefined;
  /** Runs when a command arrives, before the answer: may move jobs, or throw to refuse it. */
  readonly onCommand = new Map<string, (args: JsonObject) => void>();
  private readonly listeners: ((event: QmpEvent) => void)[] = [];

  async execute(command: string, args: JsonObject = {}): Promise<JsonValue> {
    this.calls.push({ command, args });
    await Promise.resolve();
    this.onCommand.get(command)?.(args);
    return this.answer(command, args);
  }

  onEvent(listener: (event: QmpEvent) => void): void {
    this.listeners.push(listener);
  }

  onClose(): void {}

  async close(): Promise<void> {}

  /** The job moves to `substatus`, reported as the job facade reports it. */
  sub(id: string, substatus: string, details: JsonObject = {}): void {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`no job ${id}`);
    job.substatus = substatus;
    job.details = { ...details, status: substatus };
    if (ENDED.includes(substatus)) {
      job.status = "concluded";
      if (typeof details["error-desc"] === "string") job.error = details["error-desc"];
      this.emit("JOB_STATUS_CHANGE", { id, status: "concluded" });
    }
    this.emit("JOB_SUBSTATUS_CHANGE", { id, type: "migration", substatus });
  }

  /** Another client of the backend dismisses the job. */
  dismissBehindTheFacade(id: string): void {
    this.jobs.delete(id);
    this.emit("JOB_STATUS_CHANGE", { id, status: "null" });
  }

  emit(event: string, data?: JsonObject): void {
    const message: QmpEvent = {
      event,
      timestamp: { seconds: 1, microseconds: 0 },
      ...(data ? { data } : {}),
    };
    for (const listener of this.listeners) listener(message);
  }

  commandsSent(): string[] {
    return this.calls.map((c) => c.command);
  }

  private answer(command: string, args: JsonObject): JsonValue {
    switch (command) {
      case "query-migrate-capabilities":
        return [...this.caps].map(([capability, state]) => ({ capability, state }));
      case "migrate-set-capabilities":
        for (const c of args.capabilities as JsonObject[])
          this.caps.set(String(c.capability), c.state === true);
        return {};
      case "job-migrate":
      case "job-migrate-incoming":
        if (typeof args["job-id"] !== "string")
          throw new QmpError("GenericError", "Parameter 'job-id' is missing");
        return this.create(args["job-id"]);
      case "query-jobs":
        return [...this.jobs.values()].map((j) => ({
          id: j.id,
          type: "migration",
          status: j.status,
          substatus: j.substatus,
          details: j.details,
          ...(j.direction ? { direction: j.direction } : {}),
          ...(j.error ? { error: j.error } : {}),
        }));
      case "job-dismiss":
        this.jobs.delete(String(args.id));
        return {};
      default:
        return {};
    }
  }

  private create(id: string): JsonValue {
    if (this.refuseNext) {
      const desc = this.refuseNext;
      this.refuseNext = undefined;
      throw new QmpError("GenericError", desc);
    }
    this.jobs.set(id, { id, status: "created", substatus: "none", details: {} });
    this.emit("JOB_STATUS_CHANGE", { id, status: "created" });
    return {};
  }
}

/**
 * Runs one job-API scenario against a source and a destination that speak the job API (the job
 * facade in front of QEMU, or a QEMU with its own migration job) and returns each client's trace:
 * job events in arrival order, and replies in command order. Events and replies are kept apart
 * because QEMU's migration thread and its monitor race each other; within each, order is real.
 */
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import { checkSchemaOf } from "../introspection/check-served-schema.ts";
import {
  INCOMING_JOB,
  type JobScenario,
  type JobSide,
  type JobStep,
  MIGRATION_JOB,
  type SideTrace,
} from "./catalogue/job-scenario.ts";
import { checkLegacyOver } from "./schema-targets.ts";
import { stable } from "./trace-normalise.ts";
import { RecordingSession, type Reply, type TraceEntry } from "./trace-recorder.ts";

export interface JobTarget {
  source: string;
  destination: string;
  migrationUri: string;
  killDestination(): Promise<void>;
  /** Makes the source's QEMU report a status (or stop doing so); absent when it cannot. */
  inject?: (status: string | null) => void;
}

export type JobTraces = Partial<Record<JobSide, SideTrace>>;

const QUIET_MS = 300;
/** How long a wait lasts by default: every catalogue migration takes a few seconds at most. */
const WAIT_MS = 15_000;
const SAMPLE_MS = 100;

/**
 * The traces, and the step that broke if one did (a wait that timed out, a target that cannot
 * inject): the traces up to that point are kept so that a report can show how far it got.
 */
export interface JobRun {
  traces: JobTraces;
  error?: string;
}

export async function runJobScenario(scenario: JobScenario, target: JobTarget): Promise<JobRun> {
  const sides = usedSides(scenario);
  const sessions = new Map<JobSide, RecordingSession>();
  const replies = new Map<JobSide, string[]>(sides.map((s) => [s, []]));
  let error: string | undefined;
  try {
    for (const side of sides)
      sessions.set(
        side,
        await RecordingSession.open(side === "destination" ? target.destination : target.source),
      );
    const context: Context = { sessions, replies, target, sentAt: new Map() };
    try {
      for (const step of scenario.steps) await runStep(step, context);
    } catch (broken) {
      error = broken instanceof Error ? broken.message : String(broken);
    }
    await sleep(QUIET_MS);
    const racy = new Set(scenario.racy ?? []);
    const trace = (side: JobSide): SideTrace => ({
      events: arrange(jobEventLines(sessions.get(side)?.entries ?? []), scenario).filter((l) => !racy.has(l)),
      replies: replies.get(side) ?? [],
    });
    const traces: JobTraces = Object.fromEntries(sides.map((side) => [side, trace(side)]));
    return error === undefined ? { traces } : { traces, error };
  } finally {
    await Promise.all([...sessions.values()].map((s) => s.close().catch(() => undefined)));
  }
}

function usedSides(scenario: JobScenario): JobSide[] {
  const used = new Set<JobSide>(["source", "destination"]);
  for (const step of scenario.steps) if ("on" in step && step.on) used.add(step.on);
  for (const side of Object.keys(scenario.expect) as JobSide[]) used.add(side);
  return [...used];
}

interface Context {
  sessions: Map<JobSide, RecordingSession>;
  replies: Map<JobSide, string[]>;
  target: JobTarget;
  /** Per side: how many wire entries there were when its last command was sent. */
  sentAt: Map<JobSide, number>;
}

async function runStep(step: JobStep, context: Context): Promise<void> {
  const side: JobSide = ("on" in step && step.on) || "source";
  const session = context.sessions.get(side) as RecordingSession;
  const record = (line: string) => context.replies.get(side)?.push(line);
  if ("run" in step) {
    const args = step.args && (substitute(step.args, context.target.migrationUri) as JsonObject);
    context.sentAt.set(side, session.entries.length);
    record(replyLine(await session.execute(step.run, args, { record: false })));
  } else if ("waitSub" in step || "waitStatus" in step)
    await waitForEvent(session, step, step.fresh ? (context.sentAt.get(side) ?? 0) : 0);
  else if ("query" in step) record(`query ${step.query}: ${summarise(await queryJobs(session))}`);
  else if ("progress" in step) record(`progress ${step.progress}: ${await watchProgress(session)}`);
  else if ("order" in step) record(orderLine(jobEventLines(session.entries), ...step.order));
  else if ("sleepMs" in step) await sleep(step.sleepMs);
  else if ("kill" in step) await context.target.killDestination();
  else if ("schema" in step) {
    const address = side === "destination" ? context.target.destination : context.target.source;
    const check =
      step.schema === "jobs"
        ? await checkSchemaOf((command, args) => session.execute(command, args, { record: false }), "jobs")
        : await checkLegacyOver(address);
    for (const line of check.lines) record(line);
  } else {
    if (!context.target.inject) throw new Error("this target cannot inject a migration status");
    context.target.inject(step.inject);
  }
}

/** Job by job (migration job first) when the scenario asks for it; else arrival order. */
function arrange(lines: string[], scenario: JobScenario): string[] {
  if (!scenario.groupEvents) return lines;
  const jobOf = (line: string) => (/^(status|sub) /.test(line) ? "" : (line.split(" ")[0] ?? ""));
  const jobs = [...new Set(["", ...lines.map(jobOf)])];
  return jobs.flatMap((job) => lines.filter((l) => jobOf(l) === job));
}

export function orderLine(lines: readonly string[], first: string, then: string): string {
  const a = lines.indexOf(first);
  const b = lines.indexOf(then);
  if (a < 0 || b < 0) return `order: ${a < 0 ? first : then} missing`;
  return a < b ? `order: ${first} before ${then}` : `order: ${then} before ${first}`;
}

export function replyLine(reply: Reply): string {
  if (reply.kind === "error") return `error ${reply.command} ${reply.class}: ${reply.desc}`;
  const value = reply.return;
  const empty = value !== null && typeof value === "object" && Object.keys(value).length === 0;
  return empty ? `ok ${reply.command}` : `ok ${reply.command} ${stable(value, false)}`;
}

/** The job events of a client's wire trace, as short lines. */
export function jobEventLines(entries: readonly TraceEntry[]): string[] {
  return entries.flatMap((entry) => {
    if (entry.kind !== "event") return [];
    // The migration jobs are the subject; any other job (a mirror) is named.
    const id = entry.data?.id;
    const who = id === MIGRATION_JOB || id === INCOMING_JOB ? "" : `${id} `;
    if (entry.event === "JOB_STATUS_CHANGE") return [`${who}status ${entry.data?.status}`];
    if (entry.event !== "JOB_SUBSTATUS_CHANGE") return [];
    const unknown = entry.data?.["unknown-status"];
    return [`${who}sub ${entry.data?.substatus}${typeof unknown === "string" ? `/${unknown}` : ""}`];
  });
}

async function waitForEvent(
  session: RecordingSession,
  step: Extract<JobStep, { waitSub: string[] } | { waitStatus: string[] }>,
  from: number,
): Promise<void> {
  const [kind, wanted] = "waitSub" in step ? ["sub", step.waitSub] : ["status", step.waitStatus];
  const prefix = step.job === undefined ? kind : `${step.job} ${kind}`;
  const deadline = Date.now() + (step.timeoutMs ?? WAIT_MS);
  while (Date.now() < deadline) {
    const seen = jobEventLines(session.entries.slice(from)).map((l) => l.replace(/\/.*$/, ""));
    if (wanted.some((w) => seen.includes(`${prefix} ${w}`))) return;
    if (session.isClosed) break;
    await sleep(20);
  }
  const seen = jobEventLines(session.entries).join(", ") || "no job events";
  throw new Error(`${step.on ?? "source"} never saw ${prefix} ${wanted.join("/")} (saw: ${seen})`);
}

async function queryJobs(session: RecordingSession): Promise<JsonValue> {
  const reply = await session.execute("query-jobs", undefined, { record: false });
  return reply.kind === "reply" ? reply.return : `${reply.class}: ${reply.desc}`;
}

/** query-jobs as one line: what a client relies on, without measurements. */
export function summarise(jobs: JsonValue): string {
  if (!Array.isArray(jobs)) return String(jobs);
  if (jobs.length === 0) return "no jobs";
  return jobs
    .map((job) => {
      const j = job as JsonObject;
      const parts = [`${j.id} ${j.status}`];
      if (j.substatus !== undefined) parts.push(`substatus=${j.substatus}`);
      if (j["unknown-status"] !== undefined) parts.push(`unknown-status=${j["unknown-status"]}`);
      if (j.error !== undefined) parts.push(`error=${JSON.stringify(j.error)}`);
      return parts.join(" ");
    })
    .join("; ");
}

async function watchProgress(session: RecordingSession): Promise<string> {
  let previous = -1;
  let samples = 0;
  const faults: string[] = [];
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const [job] = (await queryJobs(session)) as JsonObject[];
    if (!job) return "job gone";
    const current = Number(job["current-progress"]);
    const total = Number(job["total-progress"]);
    samples++;
    if (current < previous) faults.push(`current fell ${previous} → ${current}`);
    if (total < current) faults.push(`total ${total} < current ${current}`);
    previous = current;
    if (job.status === "concluded") {
      if (total !== current) faults.push(`at the end total ${total} ≠ current ${current}`);
      if (samples < 3) faults.push(`only ${samples} samples`);
      return faults.length === 0
        ? "current rose, total ≥ current, total = current at the end"
        : faults.join("; ");
    }
    await sleep(SAMPLE_MS);
  }
  return "job never concluded";
}

function substitute(value: JsonValue, uri: string): JsonValue {
  if (value === "$uri") return uri;
  if (Array.isArray(value)) return value.map((v) => substitute(v, uri));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, uri)]));
  return value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one catalogue scenario against any pair of QMP servers that speak the legacy migration
 * API — "a QMP address for the source and one for the destination" — and returns what the
 * legacy client saw on each side. One connection per side is the client under test (QEMU's
 * monitor takes one client at a time); its polling for the scenario's waits stays off the record.
 */
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import type { LegacyScenario, Step } from "./catalogue/legacy.ts";
import { type NormalisedTrace, normaliseTrace } from "./trace-normalise.ts";
import { RecordingSession, type Side, type TraceEntry } from "./trace-recorder.ts";

export interface ScenarioTarget {
  /** QMP address (unix:PATH, tcp:HOST:PORT, ws://...) of the source's legacy API. */
  source: string;
  destination: string;
  /** Where the destination is told to listen; "$uri" in the catalogue. */
  migrationUri: string;
  /** Makes the destination vanish as a crash would. */
  killDestination(): Promise<void>;
}

export interface RawTrace {
  scenario: string;
  source: TraceEntry[];
  destination: TraceEntry[];
}

/** Pause after the last step so that trailing events reach the trace. */
const QUIET_MS = 300;
const POLL_MS = 50;

export async function runLegacyScenario(scenario: LegacyScenario, target: ScenarioTarget): Promise<RawTrace> {
  const sessions: RecordingSession[] = [];
  const open = async (address: string) => {
    const session = await RecordingSession.open(address);
    sessions.push(session);
    return session;
  };
  try {
    const clients = { source: await open(target.source), destination: await open(target.destination) };
    for (const step of scenario.steps) await runStep(step, { clients, target });
    await sleep(QUIET_MS);
    return {
      scenario: scenario.name,
      source: clients.source.entries,
      destination: clients.destination.entries,
    };
  } finally {
    await Promise.all(sessions.map((s) => s.close().catch(() => undefined)));
  }
}

/** Runs the scenario and normalises its trace (see trace-normalise.ts for what and why). */
export async function runNormalised(
  scenario: LegacyScenario,
  target: ScenarioTarget,
): Promise<NormalisedTrace> {
  return normaliseTrace(await runLegacyScenario(scenario, target), scenario);
}

interface Context {
  clients: Record<Side, RecordingSession>;
  target: ScenarioTarget;
}

async function runStep(step: Step, context: Context): Promise<void> {
  if ("run" in step) {
    const args = step.args === undefined ? undefined : (substitute(step.args, context.target) as JsonObject);
    await context.clients[step.on ?? "source"].execute(step.run, args);
  } else if ("waitFor" in step) await waitForStatus(context.clients[step.on ?? "source"], step);
  else if ("checkpoint" in step) await context.clients[step.on ?? "source"].snapshot(step.checkpoint);
  else if ("sleepMs" in step) await sleep(step.sleepMs);
  else await context.target.killDestination();
}

async function waitForStatus(client: RecordingSession, step: Extract<Step, { waitFor: string[] }>) {
  const deadline = Date.now() + (step.timeoutMs ?? 30_000);
  let last: JsonValue = null;
  while (Date.now() < deadline) {
    const reply = await client.execute("query-migrate", undefined, { record: false });
    if (reply.kind === "reply") {
      last = reply.return;
      // QEMU reports no status before any migration: that is "none".
      const status = (reply.return as JsonObject).status ?? "none";
      if (typeof status === "string" && step.waitFor.includes(status)) return;
    } else if (client.isClosed) {
      if (step.waitFor.includes("gone")) return;
      break;
    }
    await sleep(POLL_MS);
  }
  throw new Error(
    `${step.on ?? "source"} never reached ${step.waitFor.join("/")}; last: ${JSON.stringify(last)}`,
  );
}

function substitute(value: JsonValue, target: ScenarioTarget): JsonValue {
  if (value === "$uri") return target.migrationUri;
  if (Array.isArray(value)) return value.map((v) => substitute(v, target));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, target)]));
  return value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

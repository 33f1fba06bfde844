/**
 * The two sides of the trace-equivalence test. `specTrace` runs a sequence of legacy commands
 * and environment events on the pure legacy model; `stackTrace` runs the same sequence as a
 * legacy client of the real legacy facade over the real job facade over a ScriptedQemu (the same
 * model as QEMU). A trace line per step: the reply (query-migrate reduced to status and
 * error-desc), then the MIGRATION statuses the client received during the step.
 */
import { JobFacade } from "../../adapters/job-facade/facade.ts";
import type { Upstream } from "../../adapters/job-facade/upstream.ts";
import { LegacyFacade } from "../../adapters/legacy-facade/facade.ts";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import type { QmpEvent } from "../../src/qmp/protocol.ts";
import type { QmpHandler, QmpServerSession } from "../../src/qmp/server-session.ts";
import * as legacy from "./legacy-model.ts";
import { ScriptedQemu } from "./scripted-qemu.ts";

/** One step: a legacy command of the client, or an environment event at QEMU. */
export interface Action {
  name: string;
  command?: { name: string; args?: JsonObject };
  environment?: "advance" | "break";
}

const caps = (capability: legacy.Capability): Action => ({
  name: `caps ${capability}`,
  command: { name: "migrate-set-capabilities", args: { capabilities: [{ capability, state: true }] } },
});

export const CAPS_EVENTS = caps("events");
export const CAPS_POSTCOPY = caps("postcopy-ram");
export const CAPS_HOLD = caps("pause-before-switchover");
export const QUERY: Action = { name: "query", command: { name: "query-migrate" } };

/** The migration commands and environment events. */
export const MIGRATION_ACTIONS: Action[] = [
  { name: "migrate", command: { name: "migrate", args: { uri: "tcp:127.0.0.1:1" } } },
  { name: "cancel", command: { name: "migrate_cancel" } },
  { name: "continue", command: { name: "migrate-continue", args: { state: "pre-switchover" } } },
  { name: "start-postcopy", command: { name: "migrate-start-postcopy" } },
  { name: "pause", command: { name: "migrate-pause" } },
  { name: "advance", environment: "advance" },
  { name: "break", environment: "break" },
];

/** The whole alphabet: the migration actions, query-migrate and the capabilities. */
export const ACTIONS: Action[] = [...MIGRATION_ACTIONS, QUERY, CAPS_EVENTS, CAPS_POSTCOPY, CAPS_HOLD];

const replyLine = (reply: legacy.Reply): string => {
  if (!reply.ok) return `error ${reply.desc}`;
  const v = reply.value as JsonObject | undefined;
  if (v === undefined || Object.keys(v).length === 0) return "{}";
  return JSON.stringify({ status: v.status, "error-desc": v["error-desc"] });
};

const line = (action: Action, reply: string, events: string[]) =>
  [`${action.name} -> ${action.environment ? "-" : reply}`, ...events.map((e) => `  ! MIGRATION ${e}`)].join(
    "\n",
  );

/** The legacy model's own trace: what a client of QEMU `version` sees (the legacy facade declares no deviation). */
export function specTrace(
  sequence: readonly Action[],
  queryEach = false,
  version: legacy.LegacyVersion = "7.2",
): string[] {
  let state = legacy.initialOf(version);
  return sequence.map((action) => {
    const step = runSpec(state, action);
    state = step.state;
    const text = line(action, replyLine(step.reply), state.caps.events ? step.statuses : []);
    return queryEach ? `${text}\n  query -> ${replyLine(legacy.queryMigrate(state).reply)}` : text;
  });
}

function runSpec(s: legacy.LegacyState, action: Action): legacy.Step {
  if (action.environment === "advance") return legacy.advance(s);
  if (action.environment === "break") return legacy.breakLink(s);
  const step = action.command && legacy.commandStep(s, action.command.name, action.command.args ?? {});
  if (!step) throw new Error(`no spec for ${action.name}`);
  return step;
}

/** A client of a facade, recording what it is sent. */
export class Client {
  readonly negotiated = true;
  readonly events: string[] = [];
  send(message: JsonObject): void {
    if (message.event === "MIGRATION") this.events.push(String((message.data as JsonObject).status));
  }
}

export const call =
  (handlers: Record<string, QmpHandler>, fallback: (c: string) => QmpHandler) =>
  async (session: unknown, command: string, args: JsonObject = {}): Promise<JsonValue> => {
    const handler = handlers[command] ?? fallback(command);
    return (await handler(args, { session: session as QmpServerSession, oob: false })) ?? {};
  };

/** The job facade as the legacy facade's backend, in process: its handlers, its events. */
function jobFacadeUpstream(jobs: JobFacade): Upstream {
  const listeners: ((event: QmpEvent) => void)[] = [];
  const link = {
    negotiated: true,
    send: (message: JsonObject) => {
      for (const listener of listeners) listener(message as unknown as QmpEvent);
    },
  };
  jobs.addClient(link);
  const run = call(jobs.handlers, (c) => jobs.passThrough(c));
  return {
    execute: (command, args) => run(link, command, args),
    onEvent: (listener) => listeners.push(listener),
    onClose: () => undefined,
    oobEnabled: false,
    close: async () => undefined,
  };
}

/**
 * legacy facade ∘ job facade over `qemu`, with one legacy client; `jobEvents` is what the job facade told.
 * Any scripted `Upstream` will do (the incoming test scripts a destination).
 */
export async function startStack(qemu: Upstream) {
  const jobs = await JobFacade.attach(qemu, { pollIntervalMs: 0 });
  const upstream = jobFacadeUpstream(jobs);
  const jobEvents: JsonObject[] = [];
  upstream.onEvent((event) => jobEvents.push(event as unknown as JsonObject));
  const facade = await LegacyFacade.attach(upstream, { settleTimeoutMs: 300 });
  const client = new Client();
  facade.addClient(client);
  const run = call(facade.handlers, (c) => facade.passThrough(c));
  return { jobs, facade, client, run, jobEvents };
}

/** Lets every reaction finish: the facades' deferred tells run on setImmediate. */
export async function quiesce(jobs: JobFacade): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    await jobs.settled();
  }
}

/** The same sequence through legacy facade ∘ job facade ∘ scripted QEMU of `version`. */
export async function stackTrace(
  sequence: readonly Action[],
  queryEach = false,
  version: legacy.LegacyVersion = "7.2",
): Promise<string[]> {
  const qemu = new ScriptedQemu(version);
  const { jobs, facade, client, run } = await startStack(qemu);
  const out: string[] = [];
  try {
    for (const action of sequence) {
      const before = client.events.length;
      let reply: legacy.Reply = { ok: true };
      if (action.environment) qemu.environment(action.environment);
      else if (action.command) {
        const { name, args } = action.command;
        reply = await run(client, name, args).then(
          (value): legacy.Reply => ({ ok: true, value }),
          (error: { desc?: string; message?: string }): legacy.Reply => ({
            ok: false,
            desc: error.desc ?? String(error.message),
          }),
        );
      }
      await quiesce(jobs);
      const text = line(action, replyLine(reply), client.events.slice(before));
      if (!queryEach) out.push(text);
      else {
        const status = await run(client, "query-migrate").then(
          (value): legacy.Reply => ({ ok: true, value }),
          (error: { desc?: string }): legacy.Reply => ({ ok: false, desc: String(error.desc) }),
        );
        out.push(`${text}\n  query -> ${replyLine(status)}`);
      }
    }
  } finally {
    facade.close();
    jobs.close();
  }
  return out;
}

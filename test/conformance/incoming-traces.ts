/**
 * The two sides of the incoming trace-equivalence test. `incomingSpecTrace` runs a sequence of
 * legacy commands and environment steps on the pure destination model (QEMU 7.2, plus jobshim's
 * declared deviation); `incomingStackTrace` runs it as a legacy client of the real legacy facade
 * over the real job facade over a ScriptedDestination. A trace line per step: the reply
 * (query-migrate reduced to status, error-desc and socket-address), then the MIGRATION statuses
 * the client received during the step; optionally query-migrate and the number of jobs
 * query-jobs lists after each step. A step that makes QEMU exit ends the trace: the legacy
 * client's connection goes with it.
 */
import type { JsonObject } from "../../src/qmp/json-value.ts";
import * as model from "./incoming-legacy-model.ts";
import { type IncomingEnvironment, ScriptedDestination } from "./incoming-scripted-qemu.ts";
import { quiesce, startStack } from "./legacy-traces.ts";

export interface IncomingAction {
  name: string;
  command?: { name: string; args?: JsonObject };
  environment?: IncomingEnvironment;
}

const caps = (capability: model.IncomingCapability, state: boolean): IncomingAction => ({
  name: `${capability} ${state ? "on" : "off"}`,
  command: { name: "migrate-set-capabilities", args: { capabilities: [{ capability, state }] } },
});
const command = (name: string, args?: JsonObject): IncomingAction => ({
  name: args?.uri === model.BAD_URI ? `${name} (bad uri)` : name,
  command: { name, ...(args ? { args } : {}) },
});
const environment = (name: IncomingEnvironment): IncomingAction => ({ name, environment: name });

export const EVENTS_ON = caps("events", true);
export const EVENTS_OFF = caps("events", false);
export const POSTCOPY_ON = caps("postcopy-ram", true);
export const INCOMING = command("migrate-incoming", { uri: model.URI });
export const INCOMING_BAD = command("migrate-incoming", { uri: model.BAD_URI });
export const RECOVER = command("migrate-recover", { uri: model.URI });
export const QUERY = command("query-migrate");
export const CONNECT = environment("connect");
export const POSTCOPY = environment("postcopy");
export const COMPLETE = environment("complete");
export const BREAK = environment("break");
export const RECOVERED = environment("recovered");

/** What a destination's client can send that has an effect or a refusal, and the environment. */
export const INCOMING_ACTIONS: IncomingAction[] = [
  INCOMING,
  INCOMING_BAD,
  RECOVER,
  command("migrate_cancel"),
  command("migrate-continue", { state: "pre-switchover" }),
  command("migrate-start-postcopy"),
  command("migrate-pause"),
  CONNECT,
  POSTCOPY,
  COMPLETE,
  BREAK,
  RECOVERED,
];

/** The whole alphabet: the incoming actions, the capabilities and query-migrate. */
export const ALL_INCOMING_ACTIONS: IncomingAction[] = [
  ...INCOMING_ACTIONS,
  EVENTS_ON,
  EVENTS_OFF,
  POSTCOPY_ON,
  QUERY,
];

const replyLine = (reply: model.IncomingReply): string => {
  if (!reply.ok) return `error ${reply.desc}`;
  const v = reply.value as JsonObject | undefined;
  if (v === undefined || Object.keys(v).length === 0) return "{}";
  return JSON.stringify({
    status: v.status,
    "error-desc": v["error-desc"],
    "socket-address": v["socket-address"],
  });
};

const line = (action: IncomingAction, reply: string, events: string[]) =>
  [`${action.name} -> ${action.environment ? "-" : reply}`, ...events.map((e) => `  ! MIGRATION ${e}`)].join(
    "\n",
  );

const EXITED = "  QEMU exited: the client's connection closes";

const queryReply = (state: model.IncomingState): model.IncomingReply => model.queryMigrate(state).reply;

/** The model's own trace: what a client of QEMU 7.2's destination sees (with the declared deviations). */
export function incomingSpecTrace(sequence: readonly IncomingAction[], queryEach = false): string[] {
  let state = model.INCOMING_INITIAL;
  const out: string[] = [];
  for (const action of sequence) {
    const step = runSpec(state, action);
    state = step.state;
    const reply = step.reply;
    const heard = step.announced.filter((a) => a.ungated || state.caps.events).map((a) => a.status);
    const text = line(action, replyLine(reply), heard);
    if (state.exited) {
      out.push(`${text}\n${EXITED}`);
      break;
    }
    // QEMU 7.2 lists no job for a migration; the facades' jobs stay hidden from query-jobs.
    const query = `\n  query -> ${replyLine(queryReply(state))}\n  jobs -> 0`;
    out.push(queryEach ? text + query : text);
  }
  return out;
}

function runSpec(s: model.IncomingState, action: IncomingAction): model.IncomingStep {
  switch (action.environment) {
    // Declared deviation (decision 0001, "The destination must agree to postcopy"): behind the
    // facade the destination agrees to postcopy for every incoming job, whatever its client set.
    case "connect":
      return model.connect(s, true);
    case "postcopy":
      return model.postcopy(s);
    case "complete":
      return model.complete(s);
    case "break":
      return model.breakLink(s);
    case "recovered":
      return model.recovered(s);
  }
  const name = action.command?.name ?? "";
  const args = action.command?.args ?? {};
  if (name === "migrate-set-capabilities") {
    const [entry] = args.capabilities as { capability: model.IncomingCapability; state: boolean }[];
    const { capability, state } = entry as { capability: model.IncomingCapability; state: boolean };
    return model.setCapability(s, capability, state);
  }
  const step = model.commandStep(s, name, args);
  if (!step) throw new Error(`no spec for ${action.name}`);
  return name === "migrate-recover" ? withoutFalseSetup(step) : step;
}

/**
 * Declared deviation (decision 0001, "Learned from QEMU 7.2": on migrate-recover 7.2's
 * destination sends `setup` while it stays postcopy-paused, and the facade follows query-migrate;
 * the legacy facade tells MIGRATION from the job's substatus changes, "Consequences"): the legacy
 * client behind the facades does not hear that false `setup` (docs/conformance.md lists it).
 */
const withoutFalseSetup = (step: model.IncomingStep): model.IncomingStep =>
  step.reply.ok ? { ...step, announced: [] } : step;

const settle = (promise: Promise<unknown>): Promise<model.IncomingReply> =>
  promise.then(
    (value): model.IncomingReply => ({ ok: true, value }),
    (error: { desc?: string; message?: string }): model.IncomingReply => ({
      ok: false,
      desc: error.desc ?? String(error.message),
    }),
  );

/** The same sequence through legacy facade ∘ job facade ∘ scripted destination. */
export async function incomingStackTrace(
  sequence: readonly IncomingAction[],
  queryEach = false,
): Promise<string[]> {
  const qemu = new ScriptedDestination();
  const { jobs, facade, client, run } = await startStack(qemu);
  const out: string[] = [];
  try {
    for (const action of sequence) {
      const before = client.events.length;
      let reply: model.IncomingReply = { ok: true };
      if (action.environment) qemu.environment(action.environment);
      else if (action.command) reply = await settle(run(client, action.command.name, action.command.args));
      await quiesce(jobs);
      const text = line(action, replyLine(reply), client.events.slice(before));
      if (qemu.state.exited) {
        out.push(`${text}\n${EXITED}`);
        break;
      }
      if (!queryEach) {
        out.push(text);
        continue;
      }
      const status = await settle(run(client, "query-migrate"));
      const listed = await settle(run(client, "query-jobs"));
      const count =
        listed.ok && Array.isArray(listed.value) ? String(listed.value.length) : replyLine(listed);
      out.push(`${text}\n  query -> ${replyLine(status)}\n  jobs -> ${count}`);
    }
  } finally {
    facade.close();
    jobs.close();
  }
  return out;
}

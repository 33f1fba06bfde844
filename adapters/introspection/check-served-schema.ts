/**
 * What a schema-driven client relies on, checked on whatever serves QMP at an address (QEMU, a
 * job-facade proxy, a legacy facade over one): its `query-qmp-schema` obeys QEMU's
 * introspection conventions, agrees with its `query-commands`, names only commands it answers,
 * and describes the migration API the server offers. One line per check, "ok" or what is
 * wrong, so the conformance catalogue can hold any QEMU to them (tag `schema`).
 */
import { QmpClient } from "../../src/qmp/client.ts";
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import { QmpError } from "../../src/qmp/qmp-error.ts";
import { conventionProblems, IntrospectedSchema, type SchemaInfo } from "./schema-reader.ts";

export type SchemaView = "jobs" | "legacy";

/**
 * A member no command has: QEMU refuses it while unmarshalling the arguments, before the
 * command runs, so probing a command with it changes nothing; only an unknown command answers
 * CommandNotFound.
 */
export const PROBE_ARGUMENT = "x-jobshim-schema-probe";

/** The migration API each view must let a client discover. */
const EXPECTED: Record<SchemaView, { commands: string[]; events: string[]; migrationJobType: boolean }> = {
  jobs: {
    commands: ["job-migrate", "job-migrate-incoming", "job-change", "query-jobs"],
    events: ["JOB_STATUS_CHANGE", "JOB_SUBSTATUS_CHANGE"],
    migrationJobType: true,
  },
  legacy: {
    commands: ["migrate", "migrate-incoming", "migrate_cancel", "migrate-continue", "query-migrate"],
    events: ["MIGRATION"],
    migrationJobType: false,
  },
};

export interface SchemaCheck {
  schema: SchemaInfo[];
  commands: string[];
  lines: string[];
}

/** A server's answer, as the conformance recorder keeps it (trace-recorder.ts `Reply`). */
export type Answer = { kind: "reply"; return: JsonValue } | { kind: "error"; class: string; desc: string };

/** One command to the server under test, its error returned, not thrown. */
export type Ask = (command: string, args?: JsonObject) => Promise<Answer>;

/** Runs every check against the QMP server at `address` on a connection of its own. */
export async function checkServedSchema(address: string, view: SchemaView): Promise<SchemaCheck> {
  const client = await QmpClient.connect(address, { timeoutMs: 20_000 });
  try {
    return await checkSchemaOf(askClient(client), view);
  } finally {
    await client.close();
  }
}

/** Runs every check through `ask` (a connection the caller already has) and says how each went. */
export async function checkSchemaOf(ask: Ask, view: SchemaView): Promise<SchemaCheck> {
  const schemaAnswer = await ask("query-qmp-schema");
  const listedAnswer = await ask("query-commands");
  const schema = (schemaAnswer.kind === "reply" && Array.isArray(schemaAnswer.return)
    ? schemaAnswer.return
    : []) as unknown as SchemaInfo[];
  const listed =
    listedAnswer.kind === "reply" && Array.isArray(listedAnswer.return) ? listedAnswer.return : [];
  const commands = listed.map((c) => String((c as { name?: unknown }).name));
  const reader = new IntrospectedSchema(schema);
  const line = (check: string, problems: string[]) =>
    `schema ${view} ${check}: ${problems.length === 0 ? "ok" : problems.slice(0, 5).join("; ")}`;
  const refused = [schemaAnswer, listedAnswer].flatMap((a) =>
    a.kind === "error" ? [`${a.class}: ${a.desc}`] : [],
  );
  return {
    schema,
    commands,
    lines: [
      line("conventions", [...refused, ...conventionProblems(schema)]),
      line("query-commands", agreement(reader.namesOf("command"), commands)),
      line("commands answered", await unanswered(ask, reader.namesOf("command"))),
      line("migration api", apiProblems(reader, view)),
    ],
  };
}

export function askClient(client: QmpClient): Ask {
  return (command, args) =>
    client.execute(command, args).then(
      (value): Answer => ({ kind: "reply", return: value }),
      (error: unknown): Answer =>
        error instanceof QmpError
          ? { kind: "error", class: error.errorClass, desc: error.desc }
          : { kind: "error", class: "ConnectionError", desc: String(error) },
    );
}

export function agreement(inSchema: string[], listed: string[]): string[] {
  const onlySchema = inSchema.filter((c) => !listed.includes(c));
  const onlyListed = listed.filter((c) => !inSchema.includes(c));
  return [
    ...(onlySchema.length > 0 ? [`only in query-qmp-schema: ${onlySchema.join(", ")}`] : []),
    ...(onlyListed.length > 0 ? [`only in query-commands: ${onlyListed.join(", ")}`] : []),
  ];
}

/** The commands the schema names that the server does not know. */
export async function unanswered(ask: Ask, commands: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const command of commands) {
    const answer = await ask(command, { [PROBE_ARGUMENT]: true });
    // QEMU's qmp_capabilities says CommandNotFound after negotiation too, in its own words.
    if (answer.kind === "error" && answer.desc === `The command ${command} has not been found`)
      missing.push(`${command} not found`);
  }
  return missing;
}

function apiProblems(reader: IntrospectedSchema, view: SchemaView): string[] {
  const expected = EXPECTED[view];
  const problems = [
    ...expected.commands
      .filter((c) => reader.get(c)?.["meta-type"] !== "command")
      .map((c) => `no command ${c}`),
    ...expected.events.filter((e) => reader.get(e)?.["meta-type"] !== "event").map((e) => `no event ${e}`),
  ];
  if (expected.migrationJobType) {
    if (!reader.jobTypes().includes("migration")) problems.push("query-jobs' JobType lacks migration");
    const branch = reader.jobInfoVariants().get("migration");
    if (!Array.isArray(branch?.members) || branch.members.length === 0)
      problems.push("query-jobs' JobInfo has no migration branch");
  }
  return problems;
}

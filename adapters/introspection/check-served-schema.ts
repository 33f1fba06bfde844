/**
 * What a schema-driven client relies on, checked on whatever serves QMP at an address (QEMU, a
 * job-facade proxy, a legacy facade over one): its `query-qmp-schema` obeys QEMU's
 * introspection conventions, agrees with its `query-commands`, names only commands it answers,
 * and describes the migration API the server offers. One line per check, "ok" or what is
 * wrong, so the conformance catalogue can hold any QEMU to them (tag `schema`).
 */
import { QmpClient } from "../../src/qmp/client.ts";
import type { JsonValue } from "../../src/qmp/json-value.ts";
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

/** Runs every check against the QMP server at `address` and says how each went. */
export async function checkServedSchema(address: string, view: SchemaView): Promise<SchemaCheck> {
  const client = await QmpClient.connect(address, { timeoutMs: 20_000 });
  try {
    const schema = (await client.execute("query-qmp-schema")) as unknown as SchemaInfo[];
    const listed = (await client.execute("query-commands")) as { name: string }[];
    const commands = listed.map((c) => c.name);
    const reader = new IntrospectedSchema(schema);
    const line = (check: string, problems: string[]) =>
      `schema ${view} ${check}: ${problems.length === 0 ? "ok" : problems.slice(0, 5).join("; ")}`;
    return {
      schema,
      commands,
      lines: [
        line("conventions", conventionProblems(schema)),
        line("query-commands", agreement(reader.namesOf("command"), commands)),
        line("commands answered", await unanswered(client, reader.namesOf("command"))),
        line("migration api", apiProblems(reader, view)),
      ],
    };
  } finally {
    await client.close();
  }
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
export async function unanswered(client: QmpClient, commands: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const command of commands) {
    const answer: JsonValue | QmpError = await client
      .execute(command, { [PROBE_ARGUMENT]: true })
      .catch((error: unknown) =>
        error instanceof QmpError ? error : new QmpError("GenericError", String(error)),
      );
    // QEMU's qmp_capabilities says CommandNotFound after negotiation too, in its own words.
    if (answer instanceof QmpError && answer.desc === `The command ${command} has not been found`)
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

/**
 * What the QEMU behind a facade speaks (decision 0007): learnt once at attach from
 * `query-version` and `query-qmp-schema`, so that a facade behaves as that version does.
 * Whatever the schema can tell is read from it — the MigrationStatus values, the arguments of
 * `migrate` and `migrate-incoming`, the migration capabilities. (JobVerb is not among them: no command or
 * event of QEMU 7.2 or 10.0 uses it, so their introspection never lists it.) Behaviour a
 * schema cannot express is listed in `VersionBehaviour`, each case measured on real QEMU and
 * documented in decision 0007; nothing else here depends on a version number.
 *
 * Through a job facade both answers are QEMU's own: it relays `query-version`, and its merged
 * schema keeps upstream's description of every command it relays (decision 0006).
 */
import { isJsonObject, type JsonValue } from "../src/qmp/json-value.ts";
import { IntrospectedSchema, type ObjectMember, type SchemaInfo } from "./introspection/schema-reader.ts";

export interface QemuVersionNumber {
  major: number;
  minor: number;
  micro: number;
}

/** Per-version behaviour no schema describes (decision 0007 lists each with its measurement). */
export interface VersionBehaviour {
  /**
   * `migrate-incoming` sends a MIGRATION `setup` event to every monitor whether or not it
   * enabled the `events` capability: measured on 7.2; 10.0.2 sends it only with `events`.
   */
  incomingSetupIgnoresEvents: boolean;
  /**
   * A destination listening for its source answers query-migrate with status `setup`: measured
   * on 10.0.2; 7.2 answers the listening address without a status.
   */
  listeningReportsSetup: boolean;
}

export interface UpstreamDialect {
  /** undefined: the upstream did not answer query-version. */
  version: QemuVersionNumber | undefined;
  /** undefined wherever the schema does not say (no query-qmp-schema, or no such command). */
  migrationStatuses: readonly string[] | undefined;
  migrateArguments: readonly string[] | undefined;
  incomingArguments: readonly string[] | undefined;
  capabilities: readonly string[] | undefined;
  behaviour: VersionBehaviour;
}

/** The part of an upstream this needs: one command at a time. */
export interface Asker {
  execute(command: string): Promise<JsonValue>;
}

export async function learnDialect(upstream: Asker): Promise<UpstreamDialect> {
  const version = versionOf(await upstream.execute("query-version").catch(() => undefined));
  const answer = await upstream.execute("query-qmp-schema").catch(() => undefined);
  return dialectOf(version, Array.isArray(answer) ? (answer as unknown as SchemaInfo[]) : undefined);
}

export function dialectOf(
  version: QemuVersionNumber | undefined,
  entries: readonly SchemaInfo[] | undefined,
): UpstreamDialect {
  const schema = entries === undefined ? undefined : new IntrospectedSchema(entries);
  const read = <T>(f: (s: IntrospectedSchema) => T | undefined) => (schema ? f(schema) : undefined);
  return {
    version,
    migrationStatuses: read((s) => enumValues(s, memberType(s, returnType(s, "query-migrate"), "status"))),
    migrateArguments: read((s) => memberNames(s, s.get("migrate")?.["arg-type"])),
    incomingArguments: read((s) => memberNames(s, s.get("migrate-incoming")?.["arg-type"])),
    capabilities: read((s) => enumValues(s, capabilityType(s))),
    behaviour: behaviourOf(version),
  };
}

/** Whether `status` is one this version reports; unknown (no schema) counts as known. */
export function speaksStatus(dialect: UpstreamDialect, status: string): boolean {
  return dialect.migrationStatuses === undefined || dialect.migrationStatuses.includes(status);
}

/**
 * The hand-written cases. Only 7.2 and 10.0.2 were measured; a version between them, and an upstream that does
 * not say its version, are taken to behave as 7.2, the version the facades were first built on.
 */
function behaviourOf(version: QemuVersionNumber | undefined): VersionBehaviour {
  const before10 = version === undefined || version.major < 10;
  return { incomingSetupIgnoresEvents: before10, listeningReportsSetup: !before10 };
}

function versionOf(answer: JsonValue | undefined): QemuVersionNumber | undefined {
  if (!isJsonObject(answer) || !isJsonObject(answer.qemu)) return undefined;
  const { major, minor, micro } = answer.qemu;
  if (typeof major !== "number" || typeof minor !== "number" || typeof micro !== "number") return undefined;
  return { major, minor, micro };
}

function returnType(schema: IntrospectedSchema, command: string): unknown {
  return schema.get(command)?.["ret-type"];
}

function membersOf(schema: IntrospectedSchema, type: unknown): ObjectMember[] | undefined {
  const entry = typeof type === "string" ? schema.get(type) : undefined;
  return Array.isArray(entry?.members) ? (entry.members as ObjectMember[]) : undefined;
}

function memberNames(schema: IntrospectedSchema, type: unknown): string[] | undefined {
  return membersOf(schema, type)?.map((m) => m.name);
}

function memberType(schema: IntrospectedSchema, type: unknown, member: string): string | undefined {
  return membersOf(schema, type)?.find((m) => m.name === member)?.type;
}

function enumValues(schema: IntrospectedSchema, type: string | undefined): string[] | undefined {
  const entry = type === undefined ? undefined : schema.get(type);
  return entry?.["meta-type"] === "enum" && Array.isArray(entry.values)
    ? entry.values.map(String)
    : undefined;
}

/** MigrationCapability: the `capability` member of migrate-set-capabilities' list elements. */
function capabilityType(schema: IntrospectedSchema): string | undefined {
  const list = memberType(schema, schema.get("migrate-set-capabilities")?.["arg-type"], "capabilities");
  const element = list === undefined ? undefined : schema.get(list)?.["element-type"];
  return memberType(schema, element, "capability");
}

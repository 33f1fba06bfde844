/**
 * The merge of an upstream's `query-qmp-schema` with a facade's own entries, on small upstream
 * answers written here (masked as QEMU masks them), merged with the real generated data. What
 * QEMU 7.2 itself gives is in served-schema-vs-qemu.test.ts.
 */
import { describe, expect, it } from "vitest";
import { JOB_FACADE_SCHEMA, LEGACY_FACADE_SCHEMA } from "../../../adapters/introspection/facade-schemas.ts";
import { mergeIntrospection } from "../../../adapters/introspection/merge-schema.ts";
import {
  conventionProblems,
  IntrospectedSchema,
  type ObjectMember,
  type SchemaInfo,
} from "../../../adapters/introspection/schema-reader.ts";
import { introspectionHandlers } from "../../../adapters/introspection/serve-schema.ts";
import type { Upstream } from "../../../adapters/job-facade/upstream.ts";
import { schemaInfo } from "../../../src/generated/introspection.ts";
import type { JsonObject, JsonValue } from "../../../src/qmp/json-value.ts";
import { QmpError } from "../../../src/qmp/qmp-error.ts";
import type { HandlerContext } from "../../../src/qmp/server-session.ts";

/**
 * A QEMU with a job type the facade's schema does not know (`future`), a job-migrate of its own
 * (so the facade's must replace it), and a type it lists without using it (as 7.2 does).
 */
const UPSTREAM: SchemaInfo[] = [
  { name: "query-jobs", "meta-type": "command", "arg-type": "0", "ret-type": "[1]" },
  { name: "job-migrate", "meta-type": "command", "arg-type": "4", "ret-type": "0" },
  { name: "BLOCK_JOB_READY", "meta-type": "event", "arg-type": "6" },
  { name: "0", "meta-type": "object", members: [] },
  { name: "[1]", "meta-type": "array", "element-type": "1" },
  {
    name: "1",
    "meta-type": "object",
    members: [
      { name: "id", type: "str" },
      { name: "type", type: "2" },
      { name: "status", type: "3" },
      { name: "current-progress", type: "int" },
      { name: "total-progress", type: "int" },
      { name: "error", type: "str", default: null },
    ],
  },
  {
    name: "2",
    "meta-type": "enum",
    members: [{ name: "mirror" }, { name: "future" }],
    values: ["mirror", "future"],
  },
  { name: "3", "meta-type": "enum", members: [{ name: "running" }], values: ["running"] },
  { name: "4", "meta-type": "object", members: [{ name: "bogus", type: "int" }] },
  { name: "5", "meta-type": "enum", members: [{ name: "unused" }], values: ["unused"] },
  { name: "6", "meta-type": "object", members: [{ name: "type", type: "2" }] },
  { name: "str", "meta-type": "builtin", "json-type": "string" },
  { name: "int", "meta-type": "builtin", "json-type": "int" },
];

const merge = (upstream: SchemaInfo[] = UPSTREAM) =>
  mergeIntrospection(upstream, schemaInfo, JOB_FACADE_SCHEMA);

function typeOf(schema: IntrospectedSchema, root: string, key: "arg-type" | "ret-type"): SchemaInfo {
  const type = schema.get(String(schema.get(root)?.[key]));
  if (!type) throw new Error(`no ${key} of ${root}`);
  return type;
}

describe("merging a facade's schema into its upstream's", () => {
  it("obeys QEMU's conventions and merges without conflicts", () => {
    const { entries, conflicts } = merge();
    expect(conflicts).toEqual([]);
    expect(conventionProblems(entries)).toEqual([]);
  });

  it("extends upstream's JobType and JobInfo in place: migration added, upstream's values kept", () => {
    const schema = new IntrospectedSchema(merge().entries);
    expect(schema.get("query-jobs")?.["ret-type"]).toBe("[1]");
    const jobType = schema.get("2");
    expect(jobType?.values).toEqual([
      "mirror",
      "future",
      "commit",
      "stream",
      "backup",
      "create",
      "amend",
      "snapshot-load",
      "snapshot-save",
      "snapshot-delete",
      "migration",
    ]);
    // The event that shares upstream's JobType sees the same enum, as in schema/job.json.
    expect(typeOf(schema, "BLOCK_JOB_READY", "arg-type").members).toEqual([{ name: "type", type: "2" }]);
    const jobInfo = schema.get("1");
    expect(jobInfo?.tag).toBe("type");
    const variants = jobInfo?.variants as { case: string; type: string }[];
    // Every tag value has exactly one branch; all but migration are the empty object.
    expect(variants.map((v) => v.case).sort()).toEqual([...((jobType?.values ?? []) as string[])].sort());
    expect(variants.filter((v) => v.type !== "0").map((v) => v.case)).toEqual(["migration"]);
    const branch = schema.get(variants.find((v) => v.case === "migration")?.type ?? "");
    expect(((branch?.members ?? []) as ObjectMember[]).map((m) => m.name)).toEqual([
      "direction",
      "postcopy",
      "substatus",
      "unknown-status",
      "uri",
      "details",
      "progress",
      "mirrors",
    ]);
  });

  it("numbers the facade's types after upstream's highest and renames every reference", () => {
    const { entries } = merge();
    const upstreamNames = new Set(UPSTREAM.map((e) => e.name));
    const fresh = entries.filter((e) => !upstreamNames.has(e.name));
    for (const entry of fresh) {
      if (entry["meta-type"] === "command" || entry["meta-type"] === "event") continue;
      if (entry["meta-type"] === "builtin" || entry["meta-type"] === "array") continue;
      expect(Number(entry.name), entry.name).toBeGreaterThan(6);
    }
    // Numbers follow first use and leave no gaps.
    const numbers = fresh.filter((e) => /^[0-9]+$/.test(e.name)).map((e) => Number(e.name));
    expect(numbers.sort((a, b) => a - b)).toEqual(numbers.map((_, i) => 7 + i));
  });

  it("adds the facade's own roots, replaces upstream's job-migrate and drops what only it used", () => {
    const { entries } = merge();
    const schema = new IntrospectedSchema(entries);
    for (const root of ["job-migrate-incoming", "job-change", "JOB_SUBSTATUS_CHANGE"])
      expect(schema.get(root), root).toBeDefined();
    const args = typeOf(schema, "job-migrate", "arg-type").members as ObjectMember[];
    expect(args.map((m) => m.name)).toEqual([
      "job-id",
      "uri",
      "postcopy",
      "auto-finalize",
      "auto-dismiss",
      "max-bandwidth",
      "downtime-limit",
      "mirrors",
    ]);
    expect(schema.get("4")).toBeUndefined();
    // Upstream's own unused type is upstream's business: it stays.
    expect(schema.get("5")).toBeDefined();
    // The new event's tag is upstream's extended JobType, not a copy of the facade's.
    const substatus = typeOf(schema, "JOB_SUBSTATUS_CHANGE", "arg-type");
    expect((substatus.members as ObjectMember[]).find((m) => m.name === "type")?.type).toBe("2");
    const cases = (substatus.variants as { case: string }[]).map((v) => v.case);
    expect(cases).toContain("future");
  });

  it("extending the facade's schema with itself changes nothing", () => {
    // `own` roots are copied under fresh numbers on purpose; `extends` roots must be idempotent.
    const extending = Object.fromEntries(
      Object.entries(JOB_FACADE_SCHEMA).filter(([, m]) => m === "extends"),
    );
    const { entries, conflicts } = mergeIntrospection(schemaInfo, schemaInfo, extending);
    expect(conflicts).toEqual([]);
    expect(entries).toEqual(schemaInfo);
  });

  it("stacks: the legacy facade's merge over the job facade's keeps both APIs", () => {
    const jobs = merge().entries;
    const { entries, conflicts } = mergeIntrospection(jobs, schemaInfo, LEGACY_FACADE_SCHEMA);
    expect(conflicts).toEqual([]);
    expect(conventionProblems(entries)).toEqual([]);
    const schema = new IntrospectedSchema(entries);
    for (const root of ["migrate", "query-migrate", "MIGRATION", "job-migrate", "JOB_SUBSTATUS_CHANGE"])
      expect(schema.get(root), root).toBeDefined();
    expect(schema.jobTypes()).toContain("migration");
  });
});

describe("the proxy's query-qmp-schema handler", () => {
  /** An upstream that answers query-qmp-schema from a script and counts the questions. */
  function scriptedUpstream(answers: (() => JsonValue)[]): Upstream & { asked: number } {
    const upstream = {
      asked: 0,
      execute: async (command: string) => {
        if (command !== "query-qmp-schema") throw new Error(`unexpected ${command}`);
        const answer = answers[upstream.asked++];
        if (!answer) throw new Error("asked too often");
        return answer();
      },
      onEvent: () => undefined,
      onClose: () => undefined,
      oobEnabled: false,
      close: async () => undefined,
    };
    return upstream;
  }
  const context = {} as HandlerContext;
  const run = (upstream: Upstream) => {
    const handler = introspectionHandlers(upstream, JOB_FACADE_SCHEMA)["query-qmp-schema"];
    if (!handler) throw new Error("no query-qmp-schema handler");
    return handler;
  };

  it("asks upstream once per connection", async () => {
    const upstream = scriptedUpstream([() => UPSTREAM as unknown as JsonValue]);
    const handler = run(upstream);
    const first = await handler({} as JsonObject, context);
    const second = await handler({ ignored: true }, context);
    expect(second).toEqual(first);
    expect(upstream.asked).toBe(1);
  });

  it("answers with upstream's refusal, and asks again next time", async () => {
    const upstream = scriptedUpstream([
      () => {
        throw new QmpError("CommandNotFound", "The command query-qmp-schema has not been found");
      },
      () => UPSTREAM as unknown as JsonValue,
    ]);
    const handler = run(upstream);
    await expect(handler({}, context)).rejects.toMatchObject({ errorClass: "CommandNotFound" });
    expect(Array.isArray(await handler({}, context))).toBe(true);
    expect(upstream.asked).toBe(2);
  });
});

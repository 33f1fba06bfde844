/**
 * The merged schemas must describe what the facades really answer. A legacy client migrates
 * through legacy∘jobs∘QEMU 7.2: its query-migrate answers and MIGRATION events are decoded
 * against the legacy proxy's own query-qmp-schema, and the job proxy's query-jobs answers (the
 * migration job standing behind it, every member) and JOB_SUBSTATUS_CHANGE events against the
 * job proxy's, as a generated client would decode them.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  IntrospectedSchema,
  type SchemaInfo,
  valueProblems,
} from "../../../adapters/introspection/schema-reader.ts";
import { createLegacyFacadeProxy } from "../../../adapters/proxy.ts";
import {
  type MigrationHarness,
  migrationSkipReason,
  RecordingClient,
  startMigrationHarness,
} from "../../helpers/migration-pair.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

let harness: MigrationHarness | undefined;
/** What a test opened besides the harness, closed in reverse order before it. */
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  await harness?.stop();
  harness = undefined;
});

async function schemaOf(client: RecordingClient): Promise<IntrospectedSchema> {
  return new IntrospectedSchema((await client.execute("query-qmp-schema")) as unknown as SchemaInfo[]);
}

/** Problems of `value` as the return of `command`, or as the data of event `command`. */
function decode(schema: IntrospectedSchema, root: string, value: unknown): string[] {
  const entry = schema.get(root);
  const type = entry?.["meta-type"] === "event" ? entry["arg-type"] : entry?.["ret-type"];
  return valueProblems(schema, String(type), value);
}

describe.skipIf(skipReason !== undefined)("the merged schemas decode what the facades answer", () => {
  it("a legacy migration over the job API", { timeout: 60_000 }, async () => {
    harness = await startMigrationHarness(16);
    const h = harness;
    const dir = mkdtempSync(path.join(tmpdir(), "jobshim-values-"));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const legacyAt = (role: string) => `unix:${path.join(dir, `${role}-legacy.sock`)}`;
    for (const [role, upstream] of [
      ["source", h.sourceAddress],
      ["destination", h.destinationAddress],
    ] as const) {
      const proxy = await createLegacyFacadeProxy({ upstream, listen: [legacyAt(role)] });
      closers.push(() => proxy.close());
    }
    const connect = async (role: string) => {
      const client = await RecordingClient.connect(legacyAt(role));
      closers.push(() => client.close());
      return client;
    };
    const source = await connect("source");
    const destination = await connect("destination");
    const jobsSchema = await schemaOf(h.source);
    const legacySchema = await schemaOf(source);

    await destination.execute("migrate-incoming", { uri: h.pair.migrationUri });
    await source.execute("migrate-set-capabilities", {
      capabilities: [{ capability: "events", state: true }],
    });
    await source.execute("migrate", { uri: h.pair.migrationUri });
    let status: unknown;
    let samples = 0;
    for (const deadline = Date.now() + 30_000; status !== "completed" && Date.now() < deadline; samples++) {
      const info = await source.execute("query-migrate");
      expect(decode(legacySchema, "query-migrate", info)).toEqual([]);
      expect(decode(jobsSchema, "query-jobs", await h.source.execute("query-jobs"))).toEqual([]);
      status = (info as { status?: unknown }).status;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe("completed");
    expect(samples).toBeGreaterThan(1);
    // The legacy facade keeps its job (with the final details) until the next migrate.
    const jobs = (await h.source.execute("query-jobs")) as { type: string; substatus?: string }[];
    expect(jobs.map((j) => [j.type, j.substatus])).toEqual([["migration", "completed"]]);
    expect(decode(jobsSchema, "query-jobs", jobs)).toEqual([]);

    const substatus = h.source.events.filter((e) => e.event === "JOB_SUBSTATUS_CHANGE");
    const migration = source.events.filter((e) => e.event === "MIGRATION");
    expect(substatus.length).toBeGreaterThan(0);
    expect(migration.length).toBeGreaterThan(0);
    for (const event of substatus) expect(decode(jobsSchema, "JOB_SUBSTATUS_CHANGE", event.data)).toEqual([]);
    for (const event of migration) expect(decode(legacySchema, "MIGRATION", event.data)).toEqual([]);
    // A wrong value is caught: the check is not vacuous.
    expect(decode(jobsSchema, "query-jobs", [{ id: "x", type: "migration" }])).not.toEqual([]);
  });
});

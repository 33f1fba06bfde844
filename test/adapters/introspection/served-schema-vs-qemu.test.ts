/**
 * What a schema-driven client reads through the proxies in front of real QEMU 7.2: the job
 * facade over QEMU, and the legacy facade over that (legacy∘jobs). Each schema must obey QEMU's
 * introspection conventions, agree with query-commands, name only commands the proxy answers
 * (every command is probed with an argument no command has, which QEMU refuses before running
 * anything), and describe the facade's API; QEMU's own entries keep their numbers and meaning.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agreement,
  askClient,
  checkServedSchema,
  type SchemaCheck,
  unanswered,
} from "../../../adapters/introspection/check-served-schema.ts";
import { JOB_FACADE_SCHEMA, LEGACY_FACADE_SCHEMA } from "../../../adapters/introspection/facade-schemas.ts";
import {
  conventionProblems,
  IntrospectedSchema,
  type ObjectMember,
  type SchemaInfo,
} from "../../../adapters/introspection/schema-reader.ts";
import { createJobFacadeProxy, createLegacyFacadeProxy, type FacadeProxy } from "../../../adapters/proxy.ts";
import { schemaInfo } from "../../../src/generated/introspection.ts";
import { QmpClient } from "../../../src/qmp/client.ts";
import { type QemuMonitors, qemuOrSkipReason, startQemuMonitors } from "../../helpers/qemu-qmp-process.ts";

const { binary, skipReason } = qemuOrSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

describe.skipIf(!binary)(
  "query-qmp-schema through the proxies, QEMU 7.2 behind them",
  { timeout: 60_000 },
  () => {
    let qemu: QemuMonitors | undefined;
    let dir = "";
    const proxies: FacadeProxy<unknown>[] = [];
    let qemuSchema: SchemaInfo[] = [];
    let jobs: SchemaCheck;
    let legacy: SchemaCheck;

    beforeAll(async () => {
      qemu = await startQemuMonitors(binary as string);
      dir = mkdtempSync(path.join(tmpdir(), "jobshim-introspect-"));
      const jobsAddress = `unix:${path.join(dir, "jobs.sock")}`;
      const legacyAddress = `unix:${path.join(dir, "legacy.sock")}`;
      proxies.push(await createJobFacadeProxy({ upstream: qemu.unix, listen: [jobsAddress] }));
      proxies.push(await createLegacyFacadeProxy({ upstream: jobsAddress, listen: [legacyAddress] }));
      const direct = await QmpClient.connect(qemu.tcp);
      try {
        qemuSchema = (await direct.execute("query-qmp-schema")) as unknown as SchemaInfo[];
      } finally {
        await direct.close();
      }
      jobs = await checkServedSchema(jobsAddress, "jobs");
      legacy = await checkServedSchema(legacyAddress, "legacy");
    });

    afterAll(async () => {
      for (const proxy of proxies.splice(0).reverse()) await proxy.close();
      await qemu?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("QEMU's own answer passes the same convention checks (the checks are QEMU's)", () => {
      expect(conventionProblems(qemuSchema)).toEqual([]);
    });

    it("the checks can fail: an unknown command and a disagreeing list are reported", async () => {
      const client = await QmpClient.connect(`unix:${path.join(dir, "jobs.sock")}`);
      try {
        expect(await unanswered(askClient(client), ["query-jobs", "no-such-command"])).toEqual([
          "no-such-command not found",
        ]);
      } finally {
        await client.close();
      }
      expect(agreement(["a", "b"], ["b", "c"])).toEqual([
        "only in query-qmp-schema: a",
        "only in query-commands: c",
      ]);
    });

    it("job facade: conventions, query-commands, every command answered, the migration API", () => {
      expect(jobs.lines).toEqual([
        "schema jobs conventions: ok",
        "schema jobs query-commands: ok",
        "schema jobs commands answered: ok",
        "schema jobs migration api: ok",
      ]);
    });

    it("legacy∘jobs: the same, with the legacy API", () => {
      expect(legacy.lines).toEqual([
        "schema legacy conventions: ok",
        "schema legacy query-commands: ok",
        "schema legacy commands answered: ok",
        "schema legacy migration api: ok",
      ]);
    });

    it("job facade: QEMU's roots plus the facade's new ones, nothing else", () => {
      const theirs = new IntrospectedSchema(qemuSchema);
      const merged = new IntrospectedSchema(jobs.schema);
      const added = Object.keys(JOB_FACADE_SCHEMA).filter((name) => !theirs.get(name));
      expect(added.sort()).toEqual([
        "JOB_SUBSTATUS_CHANGE",
        "job-change",
        "job-migrate",
        "job-migrate-incoming",
      ]);
      for (const meta of ["command", "event"] as const)
        expect(merged.namesOf(meta).sort()).toEqual(
          [
            ...theirs.namesOf(meta),
            ...added.filter((n) => new IntrospectedSchema(schemaInfo).get(n)?.["meta-type"] === meta),
          ].sort(),
        );
    });

    it("job facade: QEMU's entries keep their numbers; only JobInfo and JobType change, by additions", () => {
      const theirs = new IntrospectedSchema(qemuSchema);
      const merged = new IntrospectedSchema(jobs.schema);
      const jobInfoName = String(
        theirs.get(String(theirs.get("query-jobs")?.["ret-type"]))?.["element-type"],
      );
      const jobTypeName = ((theirs.get(jobInfoName)?.members ?? []) as ObjectMember[]).find(
        (m) => m.name === "type",
      )?.type;
      const changed = qemuSchema
        .filter((e) => JSON.stringify(merged.get(e.name)) !== JSON.stringify(e))
        .map((e) => e.name);
      expect(changed.sort()).toEqual([jobInfoName, jobTypeName].sort());
      expect(merged.get(String(jobTypeName))?.values).toEqual([
        ...((theirs.get(String(jobTypeName))?.values ?? []) as string[]),
        "migration",
      ]);
      const jobInfo = merged.get(jobInfoName);
      expect(jobInfo?.members).toEqual(theirs.get(jobInfoName)?.members);
      expect(jobInfo?.tag).toBe("type");
      // The facade's types come after QEMU's highest number.
      const highest = Math.max(
        ...qemuSchema.filter((e) => /^[0-9]+$/.test(e.name)).map((e) => Number(e.name)),
      );
      for (const entry of jobs.schema.filter((e) => !theirs.get(e.name)))
        if (/^[0-9]+$/.test(entry.name)) expect(Number(entry.name)).toBeGreaterThan(highest);
    });

    it("job facade: the migration branch of JobInfo is the facade's MigrationJobInfo", () => {
      const merged = new IntrospectedSchema(jobs.schema);
      const ours = new IntrospectedSchema(schemaInfo);
      const names = (s: IntrospectedSchema) =>
        ((s.jobInfoVariants().get("migration")?.members ?? []) as ObjectMember[]).map((m) => m.name);
      expect(names(merged)).toEqual(names(ours));
    });

    it("legacy∘jobs: hides nothing of its backend and serves QEMU 7.2's migrate", () => {
      const backend = new IntrospectedSchema(jobs.schema);
      const merged = new IntrospectedSchema(legacy.schema);
      expect(merged.namesOf("command").sort()).toEqual(backend.namesOf("command").sort());
      expect(merged.namesOf("event").sort()).toEqual(backend.namesOf("event").sort());
      const migrateArgs = (merged.get(String(merged.get("migrate")?.["arg-type"]))?.members ??
        []) as ObjectMember[];
      expect(migrateArgs.map((m) => m.name)).toEqual(["uri", "blk", "inc", "detach", "resume"]);
      for (const root of Object.keys(LEGACY_FACADE_SCHEMA)) expect(merged.get(root), root).toBeDefined();
    });
  },
);

/**
 * QEMU's own parser test corpus as the oracle, for each QEMU release whose language jobshim reads,
 * each judged in its own dialect against its own texts: every case QEMU rejects we reject, at the
 * same line and with QEMU's words; every case QEMU accepts we accept, and our IR dumped in QEMU's
 * test-visitor format equals QEMU's `.out`. Also each release's whole schema loads.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSchema } from "../../codegen/frontend.ts";
import { SchemaError } from "../../codegen/source-info.ts";
import { type QemuSourceVersion, qemuParserCorpus, qemuSchemaFile } from "../helpers/qemu-sources.ts";
import { dumpSchema } from "./dump-ir.ts";

/**
 * The cases are the schemas QEMU's own build runs (tests/qapi-schema/meson.build), one of them
 * deliberately missing; the directory also holds included helpers and a few stale .err files
 * QEMU no longer runs, which are not cases.
 */
function corpusCases(corpus: string): string[] {
  const meson = readFileSync(path.join(corpus, "meson.build"), "utf8");
  const names = new Set([...meson.matchAll(/'([a-z0-9-]+)\.json'/g)].map((m) => m[1] as string));
  return [...names].filter((name) => existsSync(path.join(corpus, `${name}.err`))).sort();
}

/** The main location of a message: the first `FILE:LINE[:COL]: ` line. */
function mainLine(message: string): string | undefined {
  return /^([^\s:]+):(\d+)(?::\d+)?: /m.exec(message)?.slice(1, 3).join(":");
}

/** We print a column wherever we know one; QEMU only for syntax errors. */
const withoutColumns = (message: string) => message.replace(/^([^\s:]+:\d+):\d+:/gm, "$1:");

/**
 * Messages that differ on purpose: jobshim's `state-machine` definitions extend the list of meta
 * keys, so the message naming them names one more.
 */
const INTENDED_DIFFERENCES = ["double-type", "missing-type"];

/** How many cases each version's meson.build lists, so a truncated fetch cannot pass quietly. */
const CASES: Record<QemuSourceVersion, number> = { "7.2": 198, "10.0": 207 };

const versions: QemuSourceVersion[] = ["7.2", "10.0"];

describe.each(versions)("QEMU %s schema test corpus", (version) => {
  const corpus = qemuParserCorpus(version);
  if (corpus === undefined) {
    it.skip(`QEMU ${version}'s parser corpus is not fetched (scripts/fetch-qemu-sources.sh ${version})`, () => {});
    return;
  }
  const cases = corpusCases(corpus);
  const read = (name: string, ext: string) => readFileSync(path.join(corpus, name + ext), "utf8").trim();
  /** Our messages name files as we were given them (absolute here); QEMU's are relative to the corpus. */
  const relative = (message: string) => message.split(`${corpus}/`).join("");
  const outcome = (name: string): { error?: SchemaError; other?: unknown; dump?: string } => {
    try {
      return { dump: dumpSchema(loadSchema(path.join(corpus, `${name}.json`), { dialect: version })) };
    } catch (error) {
      return error instanceof SchemaError ? { error } : { other: error };
    }
  };
  const results = cases.map((name) => ({ name, expected: read(name, ".err"), ...outcome(name) }));
  const rejected = results.filter((r) => r.expected !== "");
  const accepted = results.filter((r) => r.expected === "");

  it("finds the whole corpus", () => {
    expect(cases.length).toBe(CASES[version]);
  });

  // Located wherever QEMU's message is (a schema file that cannot be read has no location).
  it.each(rejected.map((r) => [r.name, r] as const))("rejects %s with a SchemaError", (_name, r) => {
    expect(r.other).toBeUndefined();
    expect(r.error).toBeInstanceOf(SchemaError);
    expect(r.error?.info !== undefined).toBe(mainLine(r.expected) !== undefined);
  });

  it.each(accepted.map((r) => [r.name, r] as const))("accepts %s", (_name, r) => {
    expect(r.error?.message ?? r.other).toBeUndefined();
  });

  it("names QEMU's line, and QEMU's words, for every rejected case", () => {
    const sameLine = rejected.filter(
      (r) => r.error && mainLine(relative(r.error.message)) === mainLine(r.expected),
    );
    const sameMessage = rejected.filter((r) => {
      const ours = r.error ? relative(r.error.message) : "";
      return ours === r.expected || withoutColumns(ours) === r.expected;
    });
    console.log(
      `QEMU ${version} corpus: ${cases.length} cases; ${rejected.length} rejected, same line: ${sameLine.length}, identical message: ${sameMessage.length}; ${accepted.length} accepted`,
    );
    expect(rejected.filter((r) => !sameLine.includes(r)).map((r) => r.name)).toEqual([]);
    expect(rejected.filter((r) => !sameMessage.includes(r)).map((r) => r.name)).toEqual(INTENDED_DIFFERENCES);
  });

  // QEMU's .out dumps the schema after the definitions; the doc comment part and `include` lines
  // are not compared (docs are the parser's, includes are not kept in the IR).
  const dumped = accepted.filter((r) => read(r.name, ".out") !== "");
  it.each(dumped.map((r) => [r.name, r] as const))("dumps %s exactly as QEMU does", (_name, r) => {
    const out = read(r.name, ".out").split("\n");
    const firstDoc = out.findIndex((line) => line.startsWith("doc "));
    const expected = (firstDoc < 0 ? out : out.slice(0, firstDoc)).filter((l) => !l.startsWith("include "));
    expect(r.dump?.split("\n")).toEqual(expected);
  });
});

describe.each(versions)("QEMU %s's real schema", (version) => {
  const schemaFile = qemuSchemaFile(version);
  it.skipIf(schemaFile === undefined)("loads whole, with QEMU's implicit types", () => {
    const start = performance.now();
    const schema = loadSchema(schemaFile ?? "", { dialect: version });
    const ms = performance.now() - start;
    console.log(
      `QEMU ${version} qapi-schema.json: ${schema.entities.length} entities, ${schema.files.length} files, ${ms.toFixed(0)} ms`,
    );
    expect(schema.files.length).toBeGreaterThan(30);
    expect(schema.lookup("q_obj_migrate-arg")?.meta).toBe("object");
    expect(schema.lookup("MigrationInfo")?.meta).toBe("object");
    expect(schema.lookup("MIGRATION")?.meta).toBe("event");
    expect(schema.lookup("JobStatus")?.meta).toBe("enum");
    expect(schema.lookup("MigrationCapabilityStatusList")?.meta).toBe("array");
  });
});

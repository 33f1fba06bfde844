/**
 * QEMU's own parser test corpus as the oracle: every case QEMU rejects we reject, at the same
 * line (and mostly with the same words); every case QEMU accepts we accept, and our IR dumped in
 * QEMU's test-visitor format equals QEMU's `.out`. Also QEMU's real schema loads whole.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadSchema } from "../../codegen/frontend.ts";
import { SchemaError } from "../../codegen/source-info.ts";
import { qemuShared as shared } from "../helpers/paths.ts";
import { dumpSchema } from "./dump-ir.ts";

const corpus = path.join(shared, "qapi-schema-tests");

/** A case is a NAME.json with its NAME.err; helper files (included by cases) have no .err. */
const cases = readdirSync(corpus)
  .filter((f) => f.endsWith(".json") && existsSync(path.join(corpus, f.replace(/\.json$/, ".err"))))
  .map((f) => f.replace(/\.json$/, ""))
  .sort();

const read = (name: string, ext: string) => readFileSync(path.join(corpus, name + ext), "utf8").trim();

/** Our messages name files as we were given them (absolute here); QEMU's are relative to the corpus. */
const relative = (message: string) => message.split(`${corpus}/`).join("");

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
const INTENDED_DIFFERENCES = ["double-type"];

function outcome(name: string): { error?: SchemaError; other?: unknown; dump?: string } {
  try {
    return { dump: dumpSchema(loadSchema(path.join(corpus, `${name}.json`))) };
  } catch (error) {
    return error instanceof SchemaError ? { error } : { other: error };
  }
}

describe("QEMU 7.2 schema test corpus", () => {
  const results = cases.map((name) => ({ name, expected: read(name, ".err"), ...outcome(name) }));
  const rejected = results.filter((r) => r.expected !== "");
  const accepted = results.filter((r) => r.expected === "");

  it("finds the corpus", () => {
    expect(cases.length).toBeGreaterThan(90);
  });

  it.each(rejected.map((r) => [r.name, r] as const))("rejects %s with a located SchemaError", (_name, r) => {
    expect(r.other).toBeUndefined();
    expect(r.error).toBeInstanceOf(SchemaError);
    expect(r.error?.info).toBeDefined();
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
      `QEMU corpus: ${rejected.length} rejected cases, same line: ${sameLine.length}, identical message: ${sameMessage.length}; ${accepted.length} accepted cases`,
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

describe("QEMU 7.2's real schema", () => {
  it("loads whole, with QEMU's implicit types", () => {
    const start = performance.now();
    const schema = loadSchema(path.join(shared, "qapi/qapi-schema.json"));
    const ms = performance.now() - start;
    console.log(
      `QEMU 7.2 qapi-schema.json: ${schema.entities.length} entities, ${schema.files.length} files, ${ms.toFixed(0)} ms`,
    );
    expect(schema.files.length).toBeGreaterThan(30);
    expect(schema.lookup("q_obj_migrate-arg")?.meta).toBe("object");
    expect(schema.lookup("MigrationInfo")?.meta).toBe("object");
    expect(schema.lookup("MIGRATION")?.meta).toBe("event");
    expect(schema.lookup("JobStatus")?.meta).toBe("enum");
    expect(schema.lookup("MigrationCapabilityStatusList")?.meta).toBe("array");
  });
});

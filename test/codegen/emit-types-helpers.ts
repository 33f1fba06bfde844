/**
 * Shared by the JSON Schema, TypeScript and registry emitter tests: where the schemas are,
 * golden-file comparison, a strict ajv over the generated documents, and tsc over generated
 * TypeScript in a throw-away directory.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Ajv } from "ajv";
import { expect } from "vitest";
import { loadSchema } from "../../codegen/frontend.ts";
import type { Schema } from "../../codegen/ir.ts";
import { buildJsonSchemaDocuments, type JsonSchemaDocuments } from "../../codegen/json-schema-documents.ts";
import { toPlainJson } from "../../codegen/json-value.ts";
import { projectRoot } from "../helpers/paths.ts";
import { type QemuSourceVersion, qemuSchemaFile } from "../helpers/qemu-sources.ts";

export { projectRoot };

/** The QEMU releases whose whole schema is fetched; the helper warns loudly about the others. */
export const qemuReleases = (["7.2", "10.0"] as const).filter((v) => qemuSchemaFile(v) !== undefined);
export const fixturePath = join(projectRoot, "test/fixtures/schemas/types-fixture.json");
const goldenDir = join(projectRoot, "test/codegen/golden/types-fixture");

const qemuSchemas = new Map<QemuSourceVersion, Schema>();
/** QEMU `version`'s whole schema in its own dialect, loaded once per test file. */
export function qemu(version: QemuSourceVersion): Schema {
  const file = qemuSchemaFile(version);
  if (file === undefined) throw new Error(`QEMU ${version}'s schema is not fetched`);
  const schema = qemuSchemas.get(version) ?? loadSchema(file, { dialect: version });
  qemuSchemas.set(version, schema);
  return schema;
}

export function fixture(): Schema {
  return loadSchema(fixturePath);
}

/** Compares with the golden file byte for byte; UPDATE_GOLDEN=1 rewrites it instead. */
export function expectGolden(name: string, content: string): void {
  const path = join(goldenDir, `${name}.golden`);
  if (process.env.UPDATE_GOLDEN === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    return;
  }
  expect(content, `golden ${path} (UPDATE_GOLDEN=1 rewrites it)`).toBe(readFileSync(path, "utf8"));
}

export interface LoadedAjv {
  ajv: Ajv;
  docs: JsonSchemaDocuments;
  /** Compiles a schema that may `$ref` into either document. */
  validator(schema: unknown): (data: unknown) => boolean;
}

/** A strict-mode ajv holding both documents; only the two annotation keywords are declared. */
export function strictAjv(schema: Schema): LoadedAjv {
  const docs = buildJsonSchemaDocuments(schema);
  const ajv = new Ajv({ strict: true, keywords: ["x-if", "x-value-if"] });
  ajv.addSchema(toPlainJson(docs.input) as object).addSchema(toPlainJson(docs.output) as object);
  const validator = (s: unknown) => {
    const validate = ajv.compile(toPlainJson(s as never) as object);
    return (data: unknown) => validate(data) as boolean;
  };
  return { ajv, docs, validator };
}

/**
 * Runs tsc with the project's compiler options over the given files (name → content) in a
 * temporary directory, which is always removed. Returns tsc's diagnostics ("" when clean).
 */
export function typecheck(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "jobshim-tsc-"));
  try {
    const project = JSON.parse(readFileSync(join(projectRoot, "tsconfig.json"), "utf8"));
    const compilerOptions = { ...project.compilerOptions, types: [], noEmit: true };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: Object.keys(files) }));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const tsc = join(projectRoot, "node_modules/typescript/bin/tsc");
    const run = spawnSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
    if (run.error) throw run.error;
    return `${run.stdout}${run.stderr}`.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The codegen driver: load (parse → check → IR) once, run every emitter over the checked IR,
 * and sync the result into the output directory. Emitters never see anything unchecked.
 */

import type { QapiDialect } from "./dialect.ts";
import { emitDiagrams } from "./emit-diagrams.ts";
import { emitIntrospection } from "./emit-introspection.ts";
import { emitJsonSchema } from "./emit-json-schema.ts";
import { emitRegistry } from "./emit-registry.ts";
import { emitStateTables } from "./emit-state-tables.ts";
import { emitTypeScript } from "./emit-typescript.ts";
import { loadSchema } from "./frontend.ts";
import type { GeneratedFile } from "./generated-file.ts";
import type { Schema } from "./ir.ts";
import { type OutputReport, syncOutput } from "./write-output.ts";

export interface CodegenOptions {
  /** Keep real type names in the introspection output instead of QEMU's masked numbers. */
  unmask?: boolean;
  /** Config symbols taken as defined when evaluating `if` conditions; default: every condition holds. */
  isDefined?: (symbol: string) => boolean;
  /**
   * Who renders types.ts. Default "direct": the same bytes json-schema-to-typescript writes (the
   * test suite proves it on QEMU's whole schema) in a fraction of the time; see docs/decisions/0002.
   */
  typesEngine?: "direct" | "json-schema-to-typescript";
}

/** Every generated file for the schema, in a fixed order (the output is deterministic). */
export async function generateFiles(schema: Schema, options: CodegenOptions = {}): Promise<GeneratedFile[]> {
  const introspectionOptions = {
    unmask: options.unmask ?? false,
    ...(options.isDefined ? { isDefined: options.isDefined } : {}),
  };
  const files = [
    ...emitJsonSchema(schema),
    ...(await emitTypeScript(schema, { engine: options.typesEngine ?? "direct" })),
    ...emitRegistry(schema),
    ...emitIntrospection(schema, introspectionOptions),
    ...emitStateTables(schema),
    ...emitDiagrams(schema),
  ];
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface CodegenRun {
  schemaPath: string;
  outDir: string;
  check: boolean;
  /** The QAPI language the schema is written in (decision 0004). */
  dialect?: QapiDialect;
}

/** Loads the schema, generates, and writes (or, with `check`, only compares). */
export async function runCodegen(run: CodegenRun, options: CodegenOptions = {}): Promise<OutputReport> {
  const schema = loadSchema(run.schemaPath, run.dialect === undefined ? {} : { dialect: run.dialect });
  const files = await generateFiles(schema, options);
  return syncOutput(run.outDir, files, { check: run.check });
}

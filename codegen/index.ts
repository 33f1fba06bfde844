/** jobshim's codegen as a library: load a QAPI schema into the checked IR, and emit from it. */

export type { ParsedSchema } from "./ast.ts";
export { DEFAULT_QAPI_DIALECT, type FrontEndOptions, QAPI_DIALECTS, type QapiDialect } from "./dialect.ts";
export type { SchemaDoc } from "./doc.ts";
export { emitDiagrams } from "./emit-diagrams.ts";
export { emitIntrospection } from "./emit-introspection.ts";
export { emitJsonSchema } from "./emit-json-schema.ts";
export { emitRegistry } from "./emit-registry.ts";
export { emitStateTables } from "./emit-state-tables.ts";
export { emitTypeScript } from "./emit-typescript.ts";
export { loadSchema } from "./frontend.ts";
export type { GeneratedFile } from "./generated-file.ts";
export type * from "./ir.ts";
export { parseSchemaFile } from "./parse.ts";
export { type CodegenOptions, generateFiles, runCodegen } from "./pipeline.ts";
export { SchemaError, SourceInfo } from "./source-info.ts";
export { OutputConflictError, type OutputReport } from "./write-output.ts";

/**
 * Emits `json-schemas.ts`: the schema's JSON Schema documents (see json-schema-documents.ts for
 * the two flavours) and per-command / per-event lookups, ready for ajv:
 *
 *   const ajv = new Ajv({ strict: true, keywords: [...QAPI_ANNOTATION_KEYWORDS] });
 *   ajv.addSchema(qapiInputSchema).addSchema(qapiOutputSchema);
 *   const validateArgs = ajv.compile(commandArgsSchema("migrate"));
 */
import type { GeneratedFile } from "./generated-file.ts";
import { GENERATED_NOTICE } from "./generated-file.ts";
import type { Schema } from "./ir.ts";
import {
  ANNOTATION_KEYWORDS,
  buildJsonSchemaDocuments,
  INPUT_SCHEMA_ID,
  OUTPUT_SCHEMA_ID,
} from "./json-schema-documents.ts";
import { jsonText } from "./json-value.ts";

export const JSON_SCHEMAS_FILE = "json-schemas.ts";

export function emitJsonSchema(schema: Schema): GeneratedFile[] {
  const docs = buildJsonSchemaDocuments(schema);
  const content = `// ${GENERATED_NOTICE}
// The QAPI schema as JSON Schema (draft-07). Input: closed, for what jobshim accepts.
// Output: tolerant (open enums, unknown members), for what a possibly newer QEMU sends.

/** A JSON Schema object, as ajv takes it. */
export type JsonSchemaObject = { readonly [keyword: string]: unknown };

export const QAPI_INPUT_SCHEMA_ID = ${JSON.stringify(INPUT_SCHEMA_ID)};
export const QAPI_OUTPUT_SCHEMA_ID = ${JSON.stringify(OUTPUT_SCHEMA_ID)};

/** Annotation keywords the documents use (\`if\` conditions); declare them to a strict ajv. */
export const QAPI_ANNOTATION_KEYWORDS: readonly string[] = ${jsonText([...ANNOTATION_KEYWORDS])};

export const qapiInputSchema: JsonSchemaObject = ${jsonText(docs.input)};

export const qapiOutputSchema: JsonSchemaObject = ${jsonText(docs.output)};

/** Per command: its arguments (input flavour) and its return (output flavour). */
export const commandSchemas: Readonly<Record<string, { readonly args: JsonSchemaObject; readonly ret: JsonSchemaObject }>> = ${jsonText(docs.commands)};

/** Per event: its data (output flavour). */
export const eventSchemas: Readonly<Record<string, { readonly data: JsonSchemaObject }>> = ${jsonText(docs.events)};

export function commandArgsSchema(command: string): JsonSchemaObject | undefined {
  return Object.hasOwn(commandSchemas, command) ? commandSchemas[command]?.args : undefined;
}

export function commandReturnSchema(command: string): JsonSchemaObject | undefined {
  return Object.hasOwn(commandSchemas, command) ? commandSchemas[command]?.ret : undefined;
}

export function eventDataSchema(event: string): JsonSchemaObject | undefined {
  return Object.hasOwn(eventSchemas, event) ? eventSchemas[event]?.data : undefined;
}
`;
  return [{ path: JSON_SCHEMAS_FILE, content }];
}

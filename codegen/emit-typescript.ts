/**
 * Emits `types.ts`: a TypeScript type per named QAPI type, produced by json-schema-to-typescript
 * from the input-flavour JSON Schema (closed enums, exact members), plus the maps that type a
 * QMP client end to end:
 *
 *   execute<K extends keyof QmpCommands>(name: K, args: QmpCommands[K]["args"]): Promise<QmpCommands[K]["ret"]>
 *
 * Types keep their QAPI names (`MigrationInfo`, `JobStatus`); implicit argument types get
 * json-schema-to-typescript's spelling of theirs (`q_obj_migrate-arg` → `QObjMigrateArg`).
 * Built-ins and arrays are written inline (`number`, `JobInfo[]`), never as aliases.
 * The closed types describe this schema's version; a runtime that reads a newer QEMU validates
 * with the tolerant output schemas and may see values beyond these types.
 */

import { definitionDescription } from "./doc-text.ts";
import type { GeneratedFile } from "./generated-file.ts";
import { GENERATED_NOTICE } from "./generated-file.ts";
import type { Schema } from "./ir.ts";
import { buildJsonSchemaDocuments } from "./json-schema-documents.ts";
import { type JsonObject, toPlainJson } from "./json-value.ts";
import { renderDeclarations } from "./typescript-declarations.ts";

export const TYPES_FILE = "types.ts";

/** The root json-schema-to-typescript needs; its declaration is cut from the output. */
const ROOT_NAME = "JobshimQapiRoot";
const ROOT_DECLARATION = new RegExp(`export interface ${ROOT_NAME} \\{\\s*\\}\\n?`);

/** What a command without arguments takes and a command without a declared return answers. */
const EMPTY_OBJECT = "Record<string, never>";

export interface TypeScriptOptions {
  /**
   * Who renders the declarations. "json-schema-to-typescript" (the default, the library the
   * user chose) or "direct" (typescript-declarations.ts): byte-identical output, tested so on
   * QEMU's whole schema, in a few tens of milliseconds instead of most of a second.
   */
  engine?: "json-schema-to-typescript" | "direct";
}

export async function emitTypeScript(
  schema: Schema,
  options: TypeScriptOptions = {},
): Promise<GeneratedFile[]> {
  const { input } = buildJsonSchemaDocuments(schema, { purpose: "types" });
  const definitions = (input.definitions ?? {}) as JsonObject;
  const { declarations, names } =
    options.engine === "direct" ? directTypes(definitions) : await jsonSchemaToTypeScript(definitions);
  const content = [
    `// ${GENERATED_NOTICE}`,
    "// TypeScript types of the QAPI schema, as json-schema-to-typescript renders its JSON Schema, and typed command/event maps.",
    "",
    // json-schema-to-typescript ends a comment's blank lines in a space; the file does not.
    declarations.trimEnd().replace(/^ \* $/gm, " *"),
    "",
    commandMap(schema, names),
    "",
    eventMap(schema, names),
    "",
  ].join("\n");
  return [{ path: TYPES_FILE, content }];
}

interface Declarations {
  declarations: string;
  /** QAPI type name → TypeScript name. */
  names: Map<string, string>;
}

function directTypes(definitions: JsonObject): Declarations {
  const { text, names } = renderDeclarations(definitions);
  return { declarations: text, names };
}

/**
 * json-schema-to-typescript, loaded only when this engine is chosen: it is heavy (prettier,
 * lodash, js-yaml), so the package lists it as an optional peer dependency and an installed
 * jobshim that never asks for this engine never needs it.
 */
async function loadJsonSchemaToTypeScript(): Promise<typeof import("json-schema-to-typescript")> {
  try {
    return await import("json-schema-to-typescript");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    throw new Error(
      "the json-schema-to-typescript types engine needs the json-schema-to-typescript package " +
        "(an optional peer dependency of jobshim): install it with `npm install json-schema-to-typescript@16`, " +
        "or use the default engine ('direct'), which writes the same bytes",
      { cause: error },
    );
  }
}

/** Declarations of every definition, by json-schema-to-typescript. */
async function jsonSchemaToTypeScript(definitions: JsonObject): Promise<Declarations> {
  const { compile } = await loadJsonSchemaToTypeScript();
  const root = { title: ROOT_NAME, type: "object", definitions: toPlainJson(definitions) };
  const output = await compile(root as Parameters<typeof compile>[0], ROOT_NAME, {
    bannerComment: "",
    format: false,
    declareExternallyReferenced: true,
    unreachableDefinitions: true,
    additionalProperties: false,
    strictIndexSignatures: true,
    unknownAny: true,
  });
  const names = definitionNames(output);
  return { declarations: stripReferenceComments(output).replace(ROOT_DECLARATION, "").trim(), names };
}

/**
 * json-schema-to-typescript marks each definition's declaration with a comment naming the
 * definition; reading those back is the one reliable way to learn the name it chose.
 */
function definitionNames(output: string): Map<string, string> {
  const names = new Map<string, string>();
  const marker = /via the `definition` "([^"]+)"\.\n \*\/\nexport (?:interface|type) ([A-Za-z0-9_$]+)/g;
  for (const m of output.matchAll(marker)) names.set(m[1] as string, m[2] as string);
  return names;
}

/** Drops the marker from each definition's comment: the whole comment, or the lines after a description. */
function stripReferenceComments(output: string): string {
  return output
    .replace(/\/\*\*\n \* This interface was referenced by `[^`]+`'s JSON-Schema\n.*\n \*\/\n/g, "")
    .replace(/ \* \n \* This interface was referenced by `[^`]+`'s JSON-Schema\n.*\n/g, "");
}

function commandMap(schema: Schema, names: Map<string, string>): string {
  const lines = [
    "/** Every command: the arguments it takes and what it returns. */",
    "export interface QmpCommands {",
  ];
  for (const e of schema.entities) {
    if (e.meta !== "command") continue;
    const args = e.argType ? tsType(schema, names, e.argType) : EMPTY_OBJECT;
    const ret = e.retType ? tsType(schema, names, e.retType) : EMPTY_OBJECT;
    lines.push(...memberComment(definitionDescription(e)));
    lines.push(`  ${JSON.stringify(e.name)}: { args: ${args}; ret: ${ret} };`);
  }
  lines.push("}");
  return lines.join("\n");
}

function eventMap(schema: Schema, names: Map<string, string>): string {
  const lines = ["/** Every event: the type of its `data`. */", "export interface QmpEvents {"];
  for (const e of schema.entities) {
    if (e.meta !== "event") continue;
    lines.push(...memberComment(definitionDescription(e)));
    lines.push(
      `  ${JSON.stringify(e.name)}: ${e.argType ? tsType(schema, names, e.argType) : EMPTY_OBJECT};`,
    );
  }
  lines.push("}");
  return lines.join("\n");
}

/** A command's or event's docs as the JSDoc block of its entry in the map. */
function memberComment(description: string | undefined): string[] {
  if (description === undefined) return [];
  if (!description.includes("\n")) return [`  /** ${description} */`];
  return [
    "  /**",
    ...description.split("\n").map((line) => (line === "" ? "   *" : `   * ${line}`)),
    "   */",
  ];
}

/** The TypeScript type of a use of the named QAPI type. */
function tsType(schema: Schema, names: Map<string, string>, name: string): string {
  const t = schema.lookupType(name);
  if (t.meta === "array") return `${tsType(schema, names, t.elementType)}[]`;
  if (t.meta !== "builtin") {
    const tsName = names.get(name);
    if (tsName === undefined) throw new Error(`no TypeScript declaration for QAPI type '${name}'`);
    return tsName;
  }
  switch (t.jsonType) {
    case "string":
      return "string";
    case "int":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "value":
      return "unknown";
    case "object":
      return "Record<string, unknown>";
    case "array":
      return "unknown[]";
  }
}

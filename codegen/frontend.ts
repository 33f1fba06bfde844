/**
 * The front end every consumer uses: parse (with includes and pragmas), check each expression's
 * shape, then resolve into the checked IR. Emitters only ever see its result.
 */
import { buildSchema } from "./build-schema.ts";
import { checkExpressions } from "./check-expressions.ts";
import type { FrontEndOptions } from "./dialect.ts";
import type { Schema } from "./ir.ts";
import { parseSchemaFile } from "./parse.ts";

/** Parses, checks and resolves the schema rooted at `path`. Throws SchemaError. */
export function loadSchema(path: string, options: FrontEndOptions = {}): Schema {
  const parsed = parseSchemaFile(path, options);
  checkExpressions(parsed);
  return buildSchema(parsed);
}

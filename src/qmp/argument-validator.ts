/**
 * The server's argument check: the generated input JSON Schemas compiled by ajv (once per
 * command, on first use) say whether arguments are acceptable; when they are not, the error
 * QEMU 7.2 would give is found by replaying QEMU's visit (qapi-input-visit.ts), because ajv
 * neither visits members in QEMU's order nor knows QEMU's words.
 *
 * Where QEMU is laxer than the schema it wins: a negative uint64 (QEMU takes it for
 * compatibility) passes. Unknown commands pass untouched: answering them is the server's job.
 *
 * ajv sees only JS numbers: `1.0` looks like 1 and 2^63 + 1 like 2^63. Arguments holding a
 * recorded number literal (number-literal.ts) therefore skip ajv and go straight to the visit,
 * which reads the literal as QEMU's parser would; only such requests pay.
 */
import { Ajv, type ValidateFunction } from "ajv";
import {
  commandArgsSchema,
  QAPI_ANNOTATION_KEYWORDS,
  QAPI_INPUT_SCHEMA_ID,
  qapiInputSchema,
} from "../generated/json-schemas.ts";
import type { JsonObject } from "./json-value.ts";
import { hasLiterals } from "./number-literal.ts";
import type { QmpErrorBody } from "./protocol.ts";
import { firstQemuError, type SchemaNode } from "./qapi-input-visit.ts";
import type { ArgumentValidator } from "./server-session.ts";

/** Where the schemas come from; defaults to the generated ones (any schema's codegen fits). */
export interface ArgumentSchemas {
  /** The input document, with `$id` and `definitions`. */
  inputDocument: SchemaNode;
  argsSchema(command: string): SchemaNode | undefined;
  annotationKeywords: readonly string[];
}

export const GENERATED_ARGUMENT_SCHEMAS: ArgumentSchemas = {
  inputDocument: qapiInputSchema,
  argsSchema: commandArgsSchema,
  annotationKeywords: QAPI_ANNOTATION_KEYWORDS,
};

export class QmpArgumentValidator {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction | null>();
  private readonly definitions: Record<string, SchemaNode>;
  private readonly documentId: string;

  constructor(private readonly schemas: ArgumentSchemas = GENERATED_ARGUMENT_SCHEMAS) {
    // Bounds like 2^63 are beyond safe integers on purpose (see json-schema-builtins.ts).
    // The documents come from codegen, whose tests compile every one of them with ajv in strict
    // mode; checking them against the meta-schema again here cost 55-105 ms and ~4 MB at start.
    this.ajv = new Ajv({
      strict: true,
      allErrors: false,
      validateSchema: false,
      keywords: [...schemas.annotationKeywords],
    });
    this.ajv.addSchema(schemas.inputDocument as object);
    this.documentId = String(schemas.inputDocument.$id ?? QAPI_INPUT_SCHEMA_ID);
    this.definitions = (schemas.inputDocument.definitions ?? {}) as Record<string, SchemaNode>;
  }

  /** The server hook: undefined when acceptable, else QEMU's error for these arguments. */
  readonly validate: ArgumentValidator = (command, args) => {
    const check = this.validatorOf(command);
    if (!check || (!hasLiterals(args) && check(args))) return undefined;
    return this.qemuError(command, args);
  };

  /** QEMU's verdict alone, without ajv's fast path (what `validate` reports on failure). */
  qemuError(command: string, args: JsonObject): QmpErrorBody | undefined {
    const root = this.schemas.argsSchema(command);
    if (!root) return undefined;
    const desc = firstQemuError(root, args, (ref) => this.resolve(ref));
    return desc === undefined ? undefined : { class: "GenericError", desc };
  }

  private validatorOf(command: string): ValidateFunction | null {
    let check = this.compiled.get(command);
    if (check === undefined) {
      const schema = this.schemas.argsSchema(command);
      check = schema ? this.ajv.compile(schema as object) : null;
      this.compiled.set(command, check);
    }
    return check;
  }

  private resolve(ref: string): SchemaNode {
    const [document, pointer] = ref.split("#", 2) as [string, string | undefined];
    const prefix = "/definitions/";
    if ((document !== "" && document !== this.documentId) || !pointer?.startsWith(prefix))
      throw new Error(`argument schema reference outside the input document: ${ref}`);
    const found = this.definitions[pointer.slice(prefix.length)];
    if (!found) throw new Error(`argument schema reference to nothing: ${ref}`);
    return found;
  }
}

/** A validator over the generated schemas, ready for `new QmpServer({ validate })`. */
export function generatedArgumentValidator(): ArgumentValidator {
  return new QmpArgumentValidator().validate;
}

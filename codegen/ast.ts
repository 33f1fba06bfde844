/**
 * What the parser hands to the checker: top-level expressions as plain JSON-like values, each with
 * its location and its doc comment. QAPI values have no numbers and no null.
 */
import type { QapiDialect } from "./dialect.ts";
import type { SchemaDoc } from "./doc.ts";
import type { SourceInfo } from "./source-info.ts";

export type QapiValue = string | boolean | QapiValue[] | QapiObject;

/** An object keeps its members in source order (QAPI relies on member order). */
export interface QapiObject {
  [key: string]: QapiValue;
}

/**
 * Positions of values inside an expression, recorded by the parser so later stages can point at
 * the offending member rather than only at the start of the expression. Keyed by the object or
 * array holding the value, then by key (or index as a string).
 */
export type PositionMap = WeakMap<object, Map<string, { line: number; col: number }>>;

export interface ParsedExpression {
  /** The expression, e.g. `{ command: "migrate", data: {...} }`. */
  expr: QapiObject;
  /** Location of the expression's opening brace. */
  info: SourceInfo;
  /** The `##` doc block right before it, if any. */
  doc: SchemaDoc | undefined;
}

/** The parser's output for a whole schema (the main file and everything it includes). */
export interface ParsedSchema {
  /** Definitions only: `include` and `pragma` are consumed by the parser. */
  expressions: ParsedExpression[];
  /** Free-form doc blocks (not attached to a definition), in order. */
  freeDocs: SchemaDoc[];
  /** Positions of nested values, see PositionMap. */
  positions: PositionMap;
  /** Pragmas collected from every file (`doc-required`, `command-name-exceptions`, ...). */
  pragma: Pragma;
  /** Every file read, main file first, as paths relative to the current directory. */
  files: string[];
  /** The QAPI language the schema was read in; later stages apply that release's rules. */
  dialect: QapiDialect;
}

export interface Pragma {
  docRequired: boolean;
  commandNameExceptions: string[];
  commandReturnsExceptions: string[];
  memberNameExceptions: string[];
  /** Definitions whose members may lack documentation (QEMU 10.0's `documentation-exceptions`). */
  documentationExceptions: string[];
}

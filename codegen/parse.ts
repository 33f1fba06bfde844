/**
 * The QAPI schema parser: reads a schema file and everything it includes into plain values,
 * consuming the `include` and `pragma` directives and attaching `##` doc blocks to the
 * definitions they precede. It does not look at a definition's keys; check-expressions.ts does.
 * Behaviour and error texts are those of the QEMU release whose dialect is read (dialect.ts):
 * the pragmas it knows, and its doc-comment parser (doc-comment.ts for 7.2, doc-comment-10.ts
 * for 10.0).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { ParsedExpression, ParsedSchema, PositionMap, Pragma, QapiObject, QapiValue } from "./ast.ts";
import { DEFAULT_QAPI_DIALECT, type FrontEndOptions, type QapiDialect } from "./dialect.ts";
import type { SchemaDoc } from "./doc.ts";
import { DocComment } from "./doc-comment.ts";
import { type DocLine, parseDocBlock10 } from "./doc-comment-10.ts";
import { Lexer, type TokenKind } from "./lexer.ts";
import { SchemaError, type SourceInfo } from "./source-info.ts";

/** State shared by the main file and all included files. */
interface ParseState {
  out: ParsedSchema;
  /** Absolute paths of every file read so far: a file included twice is read once. */
  seen: Set<string>;
}

/** Parses the schema rooted at `file`. Throws SchemaError. */
export function parseSchemaFile(file: string, options: FrontEndOptions = {}): ParsedSchema {
  const out = emptySchema(options.dialect ?? DEFAULT_QAPI_DIALECT);
  let source: string;
  try {
    source = readSource(file);
  } catch (err) {
    throw new SchemaError(undefined, `can't read schema file '${file}': ${errorText(err)}`);
  }
  parseFile(source, file, undefined, { out, seen: new Set() });
  return out;
}

/** Parses schema text held in memory, as if read from `file` (for tests and tools). */
export function parseSchemaSource(
  source: string,
  file = "<string>",
  options: FrontEndOptions = {},
): ParsedSchema {
  const out = emptySchema(options.dialect ?? DEFAULT_QAPI_DIALECT);
  parseFile(normalizeNewlines(source), file, undefined, { out, seen: new Set() });
  return out;
}

function emptySchema(dialect: QapiDialect): ParsedSchema {
  return {
    expressions: [],
    freeDocs: [],
    positions: new WeakMap(),
    pragma: {
      docRequired: false,
      commandNameExceptions: [],
      commandReturnsExceptions: [],
      memberNameExceptions: [],
      documentationExceptions: [],
    },
    files: [],
    dialect,
  };
}

/** Reads a file as QEMU does: UTF-8 with universal newlines. */
function readSource(file: string): string {
  return normalizeNewlines(readFileSync(file, "utf8"));
}

function normalizeNewlines(text: string): string {
  return text.includes("\r") ? text.replace(/\r\n?/g, "\n") : text;
}

function parseFile(
  source: string,
  file: string,
  includedFrom: SourceInfo | undefined,
  state: ParseState,
): void {
  state.seen.add(path.resolve(file));
  state.out.files.push(path.relative(process.cwd(), path.resolve(file)));
  const parser = new FileParser(new Lexer(source, file, includedFrom), state);
  parser.parse();
}

class FileParser {
  constructor(
    private readonly lex: Lexer,
    private readonly state: ParseState,
  ) {}

  private get positions(): PositionMap {
    return this.state.out.positions;
  }

  parse(): void {
    const lex = this.lex;
    let doc: SchemaDoc | undefined;
    lex.next();
    while (lex.tok !== null) {
      if (lex.tok === "#") {
        rejectDanglingDoc(doc);
        doc = this.readDocBlock();
        continue;
      }
      // Definitions are located at their `{` with its column; directive errors name only the
      // line, exactly as QEMU prints them.
      const info = lex.tokenInfo();
      const lineInfo = lex.lineInfo();
      const expr = this.value();
      if (typeof expr !== "object" || Array.isArray(expr)) {
        throw new SchemaError(lineInfo, "top-level expression must be an object");
      }
      if (Object.hasOwn(expr, "include")) {
        rejectDanglingDoc(doc);
        this.include(expr, lineInfo);
      } else if (Object.hasOwn(expr, "pragma")) {
        rejectDanglingDoc(doc);
        this.pragma(expr, lineInfo);
      } else {
        this.definition(expr, info, doc);
      }
      doc = undefined;
    }
    rejectDanglingDoc(doc);
  }

  private definition(expr: QapiObject, info: SourceInfo, doc: SchemaDoc | undefined): void {
    if (doc && doc.symbol === undefined) throw new SchemaError(doc.info, "definition documentation required");
    const parsed: ParsedExpression = { expr, info, doc };
    this.state.out.expressions.push(parsed);
  }

  private include(expr: QapiObject, info: SourceInfo): void {
    if (Object.keys(expr).length !== 1) throw new SchemaError(info, "invalid 'include' directive");
    const include = expr.include;
    if (typeof include !== "string") throw new SchemaError(info, "value of 'include' must be a string");
    const file = joinLikePython(pythonDirname(this.lex.file), include);
    const absolute = path.resolve(file);
    for (let at: SourceInfo | undefined = info; at; at = at.parent) {
      if (path.resolve(at.file) === absolute) throw new SchemaError(info, `inclusion loop for ${include}`);
    }
    if (this.state.seen.has(absolute)) return;
    let source: string;
    try {
      source = readSource(file);
    } catch (err) {
      throw new SchemaError(info, `can't read include file '${file}': ${errorText(err)}`);
    }
    parseFile(source, file, info, this.state);
  }

  private pragma(expr: QapiObject, info: SourceInfo): void {
    if (Object.keys(expr).length !== 1) throw new SchemaError(info, "invalid 'pragma' directive");
    const pragma = expr.pragma;
    if (typeof pragma !== "object" || Array.isArray(pragma)) {
      throw new SchemaError(info, "value of 'pragma' must be an object");
    }
    for (const [name, value] of Object.entries(pragma)) applyPragma(this.state.out, name, value, info);
  }

  private readDocBlock(): SchemaDoc {
    return this.state.out.dialect === "7.2" ? this.readDocBlock72() : this.readDocBlock10();
  }

  /** QEMU 10.0: the block's lines are collected, then read section by section. */
  private readDocBlock10(): SchemaDoc {
    const lex = this.lex;
    const info = lex.lineInfo();
    if (lex.val !== "##") throw lex.error("junk after '##' at start of documentation comment");
    const lines: DocLine[] = [];
    lex.next(true);
    for (;;) {
      if (lex.tok !== "#") throw lex.error("documentation comment must end with '##'");
      const text = lex.val as string;
      if (text.startsWith("##")) {
        if (text !== "##") throw lex.error("junk after '##' at end of documentation comment");
        lines.push({ text: undefined, info: lex.tokenInfo() });
        break;
      }
      lines.push({ text, info: lex.tokenInfo() });
      lex.next(true);
    }
    const doc = parseDocBlock10(info, lines, this.state.out.pragma);
    lex.next();
    return this.keep(doc);
  }

  /** QEMU 7.2: reads one `##` block; a `# =` heading inside free-form text starts a new block. */
  private readDocBlock72(): DocComment {
    const lex = this.lex;
    const info = lex.lineInfo();
    if (lex.val !== "##") throw lex.error("junk after '##' at start of documentation comment");
    let doc = new DocComment(lex, info);
    lex.next(true);
    while (lex.tok === "#") {
      const line = lex.val as string;
      if (line.startsWith("##")) {
        if (line !== "##") throw lex.error("junk after '##' at end of documentation comment");
        doc.endComment();
        lex.next();
        return this.keep(doc);
      }
      if (line.startsWith("# =")) {
        if (doc.symbol !== undefined) throw lex.error("unexpected '=' markup in definition documentation");
        if (doc.hasBodyText()) {
          doc.endComment();
          this.keep(doc);
          doc = new DocComment(lex, info);
        }
      }
      doc.append(line);
      lex.next(true);
    }
    throw lex.error("documentation comment must end with '##'");
  }

  /** Free-form blocks are collected; definition blocks travel with their definition. */
  private keep<Doc extends SchemaDoc>(doc: Doc): Doc {
    if (doc.symbol === undefined) this.state.out.freeDocs.push(doc);
    return doc;
  }

  /** Any value; records the position of each nested value in its container. */
  private value(): QapiValue {
    const lex = this.lex;
    switch (lex.tok) {
      case "{":
        lex.next();
        return this.members();
      case "[":
        lex.next();
        return this.elements();
      case "'":
      case "t":
      case "f": {
        const val = lex.val as string | boolean;
        lex.next();
        return val;
      }
      default:
        throw lex.error("expected '{', '[', string, or boolean");
    }
  }

  private members(): QapiObject {
    const lex = this.lex;
    const obj: QapiObject = {};
    if (lex.tok === "}") {
      lex.next();
      return obj;
    }
    if (lex.tok !== "'") throw lex.error("expected string or '}'");
    const where = new Map<string, { line: number; col: number }>();
    this.positions.set(obj, where);
    for (;;) {
      const key = lex.val as string;
      // A member's position is its key's: that is where the member starts in the source.
      const at = { line: lex.line, col: lex.column() };
      lex.next();
      if (peek(lex) !== ":") throw lex.error("expected ':'");
      lex.next();
      if (Object.hasOwn(obj, key)) throw lex.error(`duplicate key '${key}'`);
      setMember(obj, key, this.value());
      where.set(key, at);
      if (peek(lex) === "}") {
        lex.next();
        return obj;
      }
      if (peek(lex) !== ",") throw lex.error("expected ',' or '}'");
      lex.next();
      if (peek(lex) !== "'") throw lex.error("expected string");
    }
  }

  private elements(): QapiValue[] {
    const lex = this.lex;
    const list: QapiValue[] = [];
    if (lex.tok === "]") {
      lex.next();
      return list;
    }
    if (lex.tok !== "{" && lex.tok !== "[" && lex.tok !== "'" && lex.tok !== "t" && lex.tok !== "f") {
      throw lex.error("expected '{', '[', ']', string, or boolean");
    }
    const where = new Map<string, { line: number; col: number }>();
    this.positions.set(list, where);
    for (;;) {
      where.set(String(list.length), { line: lex.line, col: lex.column() });
      list.push(this.value());
      if (peek(lex) === "]") {
        lex.next();
        return list;
      }
      if (peek(lex) !== ",") throw lex.error("expected ',' or ']'");
      lex.next();
    }
  }
}

/** The current token, read afresh (TypeScript would keep a narrowing across `next()`). */
function peek(lex: Lexer): TokenKind {
  return lex.tok;
}

/** A definition's doc block must be followed by that definition, not a directive or the end. */
function rejectDanglingDoc(doc: SchemaDoc | undefined): void {
  if (doc?.symbol !== undefined) {
    throw new SchemaError(doc.info, `documentation for '${doc.symbol}' is not followed by the definition`);
  }
}

/** `__proto__` is a legal member name; plain assignment would change the prototype instead. */
function setMember(obj: QapiObject, key: string, value: QapiValue): void {
  if (key === "__proto__") {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** Pragmas are global to the schema; a later setting replaces an earlier one, as in QEMU. */
function applyPragma(out: ParsedSchema, name: string, value: QapiValue, info: SourceInfo): void {
  const pragma: Pragma = out.pragma;
  const strings = (): string[] => {
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
      throw new SchemaError(info, `pragma ${name} must be a list of strings`);
    }
    return value as string[];
  };
  switch (name) {
    case "doc-required":
      if (typeof value !== "boolean") throw new SchemaError(info, "pragma 'doc-required' must be boolean");
      pragma.docRequired = value;
      return;
    case "command-name-exceptions":
      pragma.commandNameExceptions = strings();
      return;
    case "command-returns-exceptions":
      pragma.commandReturnsExceptions = strings();
      return;
    case "member-name-exceptions":
      pragma.memberNameExceptions = strings();
      return;
    case "documentation-exceptions":
      if (out.dialect === "7.2") break;
      pragma.documentationExceptions = strings();
      return;
  }
  const hint = name === "documentation-exceptions" ? " (QEMU 10.0's language: try --qapi-version 10.0)" : "";
  throw new SchemaError(info, `unknown pragma '${name}'${hint}`);
}

/** Python's `os.path.dirname`: include paths keep the spelling the user gave the main file. */
function pythonDirname(file: string): string {
  const slash = file.lastIndexOf("/");
  const head = file.slice(0, slash + 1);
  return /^\/+$/.test(head) ? head : head.replace(/\/+$/, "");
}

/** Python's `os.path.join` for two parts (no normalisation, an absolute part wins). */
function joinLikePython(dir: string, file: string): string {
  if (file.startsWith("/") || dir === "") return file;
  return dir.endsWith("/") ? dir + file : `${dir}/${file}`;
}

/** The OS error text Python's `strerror` gives, e.g. "No such file or directory". */
function errorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return (code && ERRNO_TEXT[code]) ?? (err instanceof Error ? err.message : String(err));
}

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: "No such file or directory",
  EACCES: "Permission denied",
  EISDIR: "Is a directory",
  ENOTDIR: "Not a directory",
  ELOOP: "Too many levels of symbolic links",
  ENAMETOOLONG: "File name too long",
  EMFILE: "Too many open files",
};

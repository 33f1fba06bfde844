import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { QapiObject, QapiValue } from "../../codegen/ast.ts";
import { parseSchemaFile, parseSchemaSource } from "../../codegen/parse.ts";
import { SchemaError } from "../../codegen/source-info.ts";
import { qemuParserCorpus, qemuSchemaFile } from "../helpers/qemu-sources.ts";

/** The parser's own cases are 7.2's; qemu-corpus.test.ts judges every case of 7.2 and 10.0 whole. */
const corpus = qemuParserCorpus("7.2") ?? "";
const qemuSchema = qemuSchemaFile("7.2");

/** The full error text for `source`, failing the test when it parses. */
function errorOf(source: string, file = "t.json"): string {
  try {
    parseSchemaSource(source, file);
  } catch (err) {
    if (err instanceof SchemaError) return err.message;
    throw err;
  }
  throw new Error("expected a SchemaError, but the schema parsed");
}

function parse(source: string) {
  return parseSchemaSource(source, "t.json");
}

/** Runs `fn` with the corpus directory as cwd, so file names print as in QEMU's .err files. */
function inDir<T>(dir: string, fn: () => T): T {
  const old = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(old);
  }
}

function corpusError(name: string): string | undefined {
  return inDir(corpus, () => {
    try {
      parseSchemaFile(`${name}.json`);
      return undefined;
    } catch (err) {
      if (err instanceof SchemaError) return err.message;
      throw err;
    }
  });
}

/** Corpus cases whose QEMU error comes from the parser (syntax, directives, doc blocks). */
const PARSER_CASES = [
  "bad-type-int",
  "doc-bad-indent",
  "doc-bad-section",
  "doc-before-include",
  "doc-before-pragma",
  "doc-duplicated-arg",
  "doc-duplicated-return",
  "doc-duplicated-since",
  "doc-empty-arg",
  "doc-empty-section",
  "doc-empty-symbol",
  "doc-interleaved-section",
  "doc-invalid-end",
  "doc-invalid-end2",
  "doc-invalid-section",
  "doc-invalid-start",
  "doc-missing-colon",
  "doc-missing-expr",
  "doc-missing-space",
  "doc-no-symbol",
  "duplicate-key",
  "enum-int-member",
  "funny-char",
  "funny-word",
  "ident-with-escape",
  "include-before-err",
  "include-cycle",
  "include-extra-junk",
  "include-nested-err",
  "include-no-file",
  "include-non-file",
  "include-self-cycle",
  "leading-comma-list",
  "leading-comma-object",
  "missing-array-rsqb",
  "missing-colon",
  "missing-comma-list",
  "missing-comma-object",
  "missing-object-member-element",
  "missing-schema",
  "non-objects",
  "pragma-extra-junk",
  "pragma-non-dict",
  "pragma-unknown",
  "pragma-value-not-bool",
  "pragma-value-not-list",
  "pragma-value-not-list-of-str",
  "quoted-structural-chars",
  "string-code-point-127",
  "string-code-point-31",
  "trailing-comma-list",
  "trailing-comma-object",
  "unclosed-list",
  "unclosed-object",
  "unclosed-string",
  "unknown-escape",
];

describe.skipIf(corpus === "")("QEMU 7.2 parser corpus", () => {
  it.each(PARSER_CASES)("%s: same message, line and column as QEMU", (name) => {
    const expected = readFileSync(path.join(corpus, `${name}.err`), "utf8").trimEnd();
    expect(expected).not.toBe("");
    expect(corpusError(name)).toBe(expected);
  });

  it("every other corpus file parses (its error, if any, is a later stage's)", () => {
    // The cases are those QEMU's build runs; the directory also holds included helpers.
    const meson = readFileSync(path.join(corpus, "meson.build"), "utf8");
    const others = [
      ...new Set([...meson.matchAll(/'([a-z0-9-]+)\.json'/g)].map((m) => m[1] as string)),
    ].filter((name) => !PARSER_CASES.includes(name));
    expect(others.length).toBe(198 - PARSER_CASES.length);
    const failures = others.filter((name) => corpusError(name) !== undefined);
    expect(failures).toEqual([]);
  });

  it("include-repetition reads the twice-included file once", () => {
    const parsed = inDir(corpus, () => parseSchemaFile("include-repetition.json"));
    expect(parsed.files).toEqual(["include-repetition.json", "comments.json", "include-repetition-sub.json"]);
    const names = parsed.expressions.map((e) => e.expr.enum ?? e.expr.struct ?? e.expr.command);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe.skipIf(qemuSchema === undefined)("QEMU 7.2's whole schema", () => {
  it("parses, with its pragmas and doc comments", () => {
    const file = qemuSchema ?? "";
    parseSchemaFile(file); // warm-up: the first run pays for JIT compilation
    const start = performance.now();
    const parsed = parseSchemaFile(file);
    const ms = performance.now() - start;
    console.log(
      `qapi-schema.json: ${parsed.expressions.length} expressions, ${parsed.files.length} files, ` +
        `${parsed.freeDocs.length} free-form doc blocks, parsed in ${ms.toFixed(1)} ms`,
    );
    expect(parsed.expressions.length).toBe(890);
    expect(parsed.pragma.docRequired).toBe(true);
    expect(parsed.pragma.commandNameExceptions).toContain("block_resize");
    expect(parsed.expressions.every((e) => e.doc?.symbol !== undefined)).toBe(true);
    const migrate = parsed.expressions.find((e) => e.expr.command === "migrate");
    expect(migrate?.doc?.symbol).toBe("migrate");
    expect(migrate?.doc?.args.map((a) => a.name)).toContain("uri");
  });
});

describe("values", () => {
  it("reads strings, booleans, arrays and nested objects in source order", () => {
    const [first] = parse(
      "{ 'struct': 'S', 'data': { 'b': 'int', 'a': ['str'] }, 'x': [true, false, {}] }",
    ).expressions;
    expect(first?.expr).toEqual({ struct: "S", data: { b: "int", a: ["str"] }, x: [true, false, {}] });
    expect(Object.keys((first?.expr.data ?? {}) as QapiObject)).toEqual(["b", "a"]);
  });

  it("accepts the \\\\ escape and printable ASCII, nothing else", () => {
    expect(parse("{ 'a': 'x\\\\y ~' }").expressions[0]?.expr.a).toBe("x\\y ~");
    expect(errorOf("{ 'a': 'x\\ny' }")).toBe("t.json:1:8: unknown escape \\n");
    expect(errorOf("{ 'a': 'it\\'s' }")).toBe("t.json:1:8: unknown escape \\'");
    expect(errorOf("{ 'a': '\\u0061' }")).toBe("t.json:1:8: unknown escape \\u");
    expect(errorOf("{ 'a': 'tab\there' }")).toBe("t.json:1:8: funny character in string");
    expect(errorOf("{ 'a': 'caf\u00e9' }")).toBe("t.json:1:8: funny character in string");
    expect(errorOf("{ 'a': '\x7f' }")).toBe("t.json:1:8: funny character in string");
    expect(errorOf("{ 'a': 'open\n }")).toBe('t.json:1:8: missing terminating "\'"');
    expect(errorOf("{ 'a': 'x\\\n' }")).toBe('t.json:1:8: missing terminating "\'"');
  });

  it("recognises true/false by prefix, as QEMU does", () => {
    expect(errorOf("{ 'a': trueish }")).toBe("t.json:1:12: stray 'ish'");
    expect(errorOf("{ 'a': null }")).toBe("t.json:1:8: stray 'null'");
    expect(errorOf("{ 'a': 123 }")).toBe("t.json:1:8: stray '123'");
    expect(errorOf("{ 'a': \"dq\" }")).toBe("t.json:1:8: stray '\"dq\"'");
    expect(errorOf("{ 'a': 'b'; }")).toBe("t.json:1:11: stray ';'");
  });

  it("reports QEMU's 'expected' texts at the offending token", () => {
    expect(errorOf("{ 'a' 'b' }")).toBe("t.json:1:7: expected ':'");
    expect(errorOf("{ 'a': 'b' 'c' }")).toBe("t.json:1:12: expected ',' or '}'");
    expect(errorOf("{ 'a': 'b', }")).toBe("t.json:1:13: expected string");
    expect(errorOf("{ , }")).toBe("t.json:1:3: expected string or '}'");
    expect(errorOf("{ 'a': [ , ] }")).toBe("t.json:1:10: expected '{', '[', ']', string, or boolean");
    expect(errorOf("{ 'a': [ 'x', ] }")).toBe("t.json:1:15: expected '{', '[', string, or boolean");
    expect(errorOf("{ 'a': [ 'x' 'y' ] }")).toBe("t.json:1:14: expected ',' or ']'");
    expect(errorOf("{ 'a': : }")).toBe("t.json:1:8: expected '{', '[', string, or boolean");
    // At the end of the file the error points just past the last line's text.
    expect(errorOf("{ 'a': [ 'x'")).toBe("t.json:1:13: expected ',' or ']'");
  });

  it("reports a duplicate key at the duplicate's value", () => {
    expect(errorOf("{ 'key': 'value',\n  'key': 'value' }")).toBe("t.json:2:10: duplicate key 'key'");
  });

  it("counts a tab in a column the way QEMU's formula does", () => {
    // QEMU computes (col + 7) % 8 + 1 per tab, which keeps a column below 9 unchanged.
    expect(errorOf("\t{ 'a' 'b' }")).toBe("t.json:1:7: expected ':'");
    expect(errorOf("12345678\t;")).toBe("t.json:1:1: stray '12345678'");
    expect(errorOf("{ 'a':\n        \t;}")).toBe("t.json:2:1: stray ';'");
  });

  it("keeps `__proto__` as an ordinary member", () => {
    const expr = parse("{ 'struct': 'S', 'data': { '__proto__': 'int' } }").expressions[0]?.expr;
    const data = expr?.data as QapiObject;
    expect(Object.keys(data)).toEqual(["__proto__"]);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(errorOf("{ '__proto__': 'a', '__proto__': 'b' }")).toBe("t.json:1:34: duplicate key '__proto__'");
  });

  it("accepts CRLF line ends and a missing final newline", () => {
    const parsed = parse("# c\r\n{ 'enum': 'E',\r\n  'data': [] }");
    expect(parsed.expressions[0]?.info.line).toBe(2);
    expect(errorOf("\r\n\r\n{ 'a' }")).toBe("t.json:3:7: expected ':'");
  });

  it("accepts an empty file and one holding only comments", () => {
    expect(parse("").expressions).toEqual([]);
    expect(parse("# just a comment\n\n").expressions).toEqual([]);
  });
});

describe("top level", () => {
  it("hands every non-directive expression on unchanged, located at its `{`", () => {
    const parsed = parse("# x\n  { 'state-machine': 'M', 'bogus': true }\n{ 'command': 'c' }");
    expect(parsed.expressions.map((e) => e.expr)).toEqual([
      { "state-machine": "M", bogus: true },
      { command: "c" },
    ]);
    const [first, second] = parsed.expressions;
    expect(first?.info.location()).toBe("t.json:2:3");
    expect(second?.info.location()).toBe("t.json:3:1");
    expect(first?.doc).toBeUndefined();
  });

  it("rejects a top-level value that is not an object, naming its line", () => {
    expect(errorOf("\n'string'")).toBe("t.json:2: top-level expression must be an object");
    expect(errorOf("{ 'a': 'b' }\n[ ]")).toBe("t.json:2: top-level expression must be an object");
  });

  it("records the line and column of nested values", () => {
    const parsed = parse("{ 'struct': 'S',\n  'data': { 'a': 'int',\n            'b': ['str'] } }");
    const expr = parsed.expressions[0]?.expr as QapiObject;
    const data = expr.data as QapiObject;
    expect(parsed.positions.get(expr)?.get("data")).toEqual({ line: 2, col: 3 });
    expect(parsed.positions.get(data)?.get("a")).toEqual({ line: 2, col: 13 });
    expect(parsed.positions.get(data)?.get("b")).toEqual({ line: 3, col: 13 });
    expect(parsed.positions.get(data.b as string[])?.get("0")).toEqual({ line: 3, col: 19 });
  });
});

describe("pragma", () => {
  it("collects the four pragmas", () => {
    const parsed = parse(
      "{ 'pragma': { 'doc-required': true, 'command-name-exceptions': ['a_b'] } }\n" +
        "{ 'pragma': { 'command-returns-exceptions': ['r'], 'member-name-exceptions': ['M'] } }",
    );
    expect(parsed.pragma).toEqual({
      docRequired: true,
      commandNameExceptions: ["a_b"],
      commandReturnsExceptions: ["r"],
      memberNameExceptions: ["M"],
      documentationExceptions: [],
    });
    expect(parsed.expressions).toEqual([]);
  });

  it("collects QEMU 10.0's documentation-exceptions in that dialect only, and says so in 7.2's", () => {
    const source = "{ 'pragma': { 'documentation-exceptions': ['Undocumented'] } }";
    expect(parseSchemaSource(source, "t.json", { dialect: "10.0" }).pragma.documentationExceptions).toEqual([
      "Undocumented",
    ]);
    expect(errorOf(source)).toBe(
      "t.json:1: unknown pragma 'documentation-exceptions' (QEMU 10.0's language: try --qapi-version 10.0)",
    );
  });

  it("lets a later pragma replace an earlier one, as QEMU does", () => {
    const parsed = parse(
      "{ 'pragma': { 'member-name-exceptions': ['A'] } }\n{ 'pragma': { 'member-name-exceptions': ['B'] } }",
    );
    expect(parsed.pragma.memberNameExceptions).toEqual(["B"]);
  });

  it("rejects bad pragmas with QEMU's texts", () => {
    expect(errorOf("{ 'pragma': { 'doc-required': 'yes' } }")).toBe(
      "t.json:1: pragma 'doc-required' must be boolean",
    );
    expect(errorOf("{ 'pragma': { 'member-name-exceptions': [ true ] } }")).toBe(
      "t.json:1: pragma member-name-exceptions must be a list of strings",
    );
    expect(errorOf("{ 'pragma': { 'command-name-exceptions': 'x' } }")).toBe(
      "t.json:1: pragma command-name-exceptions must be a list of strings",
    );
    expect(errorOf("{ 'pragma': { 'no-such-thing': true } }")).toBe(
      "t.json:1: unknown pragma 'no-such-thing'",
    );
    expect(errorOf("{ 'pragma': [] }")).toBe("t.json:1: value of 'pragma' must be an object");
    expect(errorOf("{ 'pragma': {}, 'x': true }")).toBe("t.json:1: invalid 'pragma' directive");
  });
});

describe("include", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "jobshim-parse-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  };

  it("resolves a path against the including file's directory and reads each file once", () => {
    write(
      "main.json",
      "{ 'include': 'sub/a.json' }\n{ 'include': 'sub/a.json' }\n{ 'enum': 'Main', 'data': [] }\n",
    );
    write("sub/a.json", "{ 'include': 'b.json' }\n{ 'enum': 'A', 'data': [] }\n");
    write("sub/b.json", "{ 'include': '../sub/a.json' }\n{ 'enum': 'B', 'data': [] }\n");
    // b.json includes a.json while a.json is being read: that is a loop.
    expect(() => parseSchemaFile(path.join(dir, "main.json"))).toThrow(
      /inclusion loop for \.\.\/sub\/a\.json/,
    );

    write("sub/b.json", "{ 'enum': 'B', 'data': [] }\n");
    const parsed = inDir(dir, () => parseSchemaFile("main.json"));
    expect(parsed.files).toEqual(["main.json", "sub/a.json", "sub/b.json"]);
    expect(parsed.expressions.map((e) => e.expr.enum)).toEqual(["B", "A", "Main"]);
    const b = parsed.expressions[0]?.info;
    expect(b?.file).toBe("sub/b.json");
    expect(b?.includePath()).toBe(
      "In file included from main.json:1:\nIn file included from sub/a.json:1:\n",
    );
  });

  it("puts the include chain in front of an error inside an included file", () => {
    write("outer.json", "\n{ 'include': 'inner.json' }\n");
    write("inner.json", "{ 'enum': 'E',\n  'data': [ 'x' 'y' ] }\n");
    const message = inDir(dir, () => {
      try {
        parseSchemaFile("outer.json");
      } catch (err) {
        return (err as Error).message;
      }
      return "";
    });
    expect(message).toBe("In file included from outer.json:2:\ninner.json:2:17: expected ',' or ']'");
  });

  it("reports an unreadable include and a missing main file", () => {
    write("missing.json", "{ 'include': 'nope.json' }\n");
    expect(() => inDir(dir, () => parseSchemaFile("missing.json"))).toThrow(
      "missing.json:1: can't read include file 'nope.json': No such file or directory",
    );
    write("isdir.json", "{ 'include': 'sub' }\n");
    expect(() => inDir(dir, () => parseSchemaFile("isdir.json"))).toThrow(
      "isdir.json:1: can't read include file 'sub': Is a directory",
    );
    expect(() => parseSchemaFile(path.join(dir, "absent.json"))).toThrow(
      `can't read schema file '${path.join(dir, "absent.json")}': No such file or directory`,
    );
  });

  it("rejects malformed include directives", () => {
    expect(errorOf("{ 'include': 'a.json', 'x': 'y' }")).toBe("t.json:1: invalid 'include' directive");
    expect(errorOf("{ 'include': ['a.json'] }")).toBe("t.json:1: value of 'include' must be a string");
  });
});

describe("round trip (property)", () => {
  const key = fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/);
  // Printable ASCII except the quote, which QAPI strings cannot contain.
  const text = fc.string({
    unit: fc.constantFrom(...' !"#$%&()*+,-./09:;<=>?@AZ[\\]^_`az{|}~'),
    maxLength: 8,
  });
  const { value } = fc.letrec<{ value: QapiValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      text,
      fc.boolean(),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(key, tie("value"), { maxKeys: 4 }),
    ),
  }));
  const space = fc.constantFrom(" ", "", "\n", "  \n  ", "\n# comment, with 'quotes' and ##\n");

  /** Serialises `v` with the whitespace `gaps` supplies; returns the text and where each child starts. */
  function write(v: QapiValue, gap: () => string): string {
    if (typeof v === "string") return `'${v.replaceAll("\\", "\\\\")}'`;
    if (typeof v === "boolean") return String(v);
    if (Array.isArray(v)) return `[${gap()}${v.map((e) => write(e, gap)).join(`${gap()},${gap()}`)}${gap()}]`;
    const members = Object.entries(v).map(([k, e]) => `'${k}'${gap()}:${gap()}${write(e, gap)}`);
    return `{${gap()}${members.join(`${gap()},${gap()}`)}${gap()}}`;
  }

  it("parses back what was written, whatever the spacing, with positions pointing at each member", () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, value, { minKeys: 1, maxKeys: 4 }),
        fc.array(space, { minLength: 1 }),
        (expr, gaps) => {
          let i = 0;
          const gap = () => gaps[i++ % gaps.length] as string;
          const source = write(expr, gap);
          const parsed = parseSchemaSource(source, "p.json");
          expect(parsed.expressions.map((e) => e.expr)).toEqual([expr]);
          const lines = source.split("\n");
          const check = (v: QapiValue, written: QapiValue) => {
            if (typeof v !== "object" || typeof written !== "object") return;
            for (const [k, child] of Object.entries(v)) {
              const at = parsed.positions.get(v)?.get(k);
              const rest = lines[(at?.line ?? 0) - 1]?.slice((at?.col ?? 0) - 1) ?? "";
              const writtenChild = (written as Record<string, QapiValue>)[k] as QapiValue;
              // A member starts at its quoted key, an element at its own first character.
              expect(
                rest.startsWith(Array.isArray(v) ? write(writtenChild, () => "").slice(0, 1) : `'${k}'`),
              ).toBe(true);
              check(child, writtenChild);
            }
          };
          check(parsed.expressions[0]?.expr as QapiObject, expr);
        },
      ),
      { numRuns: 300 },
    );
  });
});

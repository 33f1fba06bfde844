import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { ParsedSchema, QapiObject, QapiValue } from "../../codegen/ast.ts";
import type { SchemaDoc } from "../../codegen/doc.ts";
import { loadSchema } from "../../codegen/frontend.ts";
import { parseSchemaFile, parseSchemaSource } from "../../codegen/parse.ts";
import { SchemaError, SourceInfo } from "../../codegen/source-info.ts";
import { qemuParserCorpus } from "../helpers/qemu-sources.ts";

function errorOf(source: string): string {
  try {
    parseSchemaSource(source, "d.json");
  } catch (err) {
    if (err instanceof SchemaError) return err.message;
    throw err;
  }
  throw new Error("expected a SchemaError, but the schema parsed");
}

/** The doc of the only definition in `source`. */
function docOf(source: string): SchemaDoc {
  const doc = parseSchemaSource(source, "d.json").expressions[0]?.doc;
  if (!doc) throw new Error("no doc comment attached");
  return doc;
}

/** Wraps doc lines (without their `# `) into a block followed by a command `foo`. */
function block(...lines: string[]): string {
  return `##\n${lines.map((l) => (l ? `# ${l}` : "#")).join("\n")}\n##\n{ 'command': 'foo' }\n`;
}

describe("doc block structure", () => {
  it("splits a definition block into symbol, body, arguments, features and tagged sections", () => {
    const doc = docOf(
      block(
        "@foo:",
        "",
        "Does foo.",
        "",
        "@arg1: the first",
        "       argument",
        "",
        "@arg2:",
        "the second",
        "",
        "Features:",
        "@feat: a feature",
        "",
        "Returns: nothing",
        "Since: 7.2",
      ),
    );
    expect(doc.symbol).toBe("foo");
    expect(doc.body).toBe("Does foo.");
    expect(doc.args.map((a) => [a.name, a.text, a.connected])).toEqual([
      ["arg1", "the first\nargument", false],
      ["arg2", "the second", false],
    ]);
    expect(doc.features.map((f) => [f.name, f.text])).toEqual([["feat", "a feature"]]);
    expect(doc.sections.map((s) => [s.tag, s.text])).toEqual([
      ["Returns", "nothing"],
      ["Since", "7.2"],
    ]);
    expect(doc.info.location()).toBe("d.json:1");
    expect(doc.args[1]?.info.line).toBe(9);
    expect(doc.sections[1]?.info.line).toBe(16);
  });

  it("starts an untagged section at a flush-left paragraph after the arguments", () => {
    const doc = docOf(block("@foo:", "@a: x", "", "More text.", "  indented"));
    expect(doc.args.map((a) => a.text)).toEqual(["x"]);
    expect(doc.sections.map((s) => [s.tag, s.text])).toEqual([[undefined, "More text.\n  indented"]]);
  });

  it("keeps a tag's hanging indentation out of the text", () => {
    const doc = docOf(block("@foo:", "Note: first line", "      second line", "", "      after a gap"));
    expect(doc.sections[0]?.text).toBe("first line\nsecond line\n\nafter a gap");
  });

  it("splits free-form text at '=' headings and keeps it out of the definitions", () => {
    const parsed = parseSchemaSource(
      "##\n# = Title\n#\n# == Sub\n# text\n##\n\n##\n# @foo:\n##\n{ 'command': 'foo' }\n",
      "d.json",
    );
    expect(parsed.freeDocs.map((d) => [d.symbol, d.body])).toEqual([
      [undefined, "= Title"],
      [undefined, "== Sub\ntext"],
    ]);
    expect(parsed.expressions[0]?.doc?.symbol).toBe("foo");
  });
});

describe("doc block errors (QEMU's texts, at the comment line)", () => {
  const cases: [string, string, string][] = [
    ["missing space after #", "d.json:2:1: missing space after #", "##\n#@foo:\n##\n"],
    ["symbol line without colon", "d.json:2:1: line should end with ':'", block("@foo")],
    ["empty symbol", "d.json:2:1: name required after '@'", block("@:")],
    ["empty parameter name", "d.json:3:1: invalid parameter name", block("@foo:", "@: x")],
    ["duplicated parameter", "d.json:4:1: 'a' parameter name duplicated", block("@foo:", "@a: x", "@a: y")],
    [
      "duplicated feature",
      "d.json:5:1: 'f' parameter name duplicated",
      block("@foo:", "Features:", "@f: x", "@f: y"),
    ],
    [
      "duplicated Returns",
      "d.json:4:1: duplicated 'Returns' section",
      block("@foo:", "Returns: a", "Returns: b"),
    ],
    ["duplicated Since", "d.json:4:1: duplicated 'Since' section", block("@foo:", "Since: 1", "Since: 2")],
    ["empty section at the end", "d.json:4:1: empty doc section 'Note'", block("@foo:", "Note:")],
    [
      "empty section before another",
      "d.json:4:1: empty doc section 'TODO'",
      block("@foo:", "TODO:", "Since: 1"),
    ],
    ["empty argument", "d.json:4:1: empty doc section 'a'", block("@foo:", "@a:", "@b: x")],
    [
      "argument after a section",
      "d.json:4:1: '@a:' can't follow 'Since' section",
      block("@foo:", "Since: 1", "@a: x"),
    ],
    [
      "argument after an untagged section",
      "d.json:6:1: '@b:' can't follow 'None' section",
      block("@foo:", "@a: x", "", "Text.", "@b: y"),
    ],
    [
      "@x: in free-form text",
      "d.json:3:1: '@x:' not allowed in free-form documentation",
      block("Intro", "@x: no"),
    ],
    ["@x:y in a body", "d.json:3:1: '@x:' not allowed in free-form documentation", block("@foo:", "@x:y")],
    [
      "heading in a definition",
      "d.json:3:1: unexpected '=' markup in definition documentation",
      block("@foo:", "= H"),
    ],
    [
      "de-indented continuation",
      "d.json:4:1: unexpected de-indent (expected at least 4 spaces)",
      block("@foo:", "@a: one", "  two"),
    ],
  ];
  it.each(cases)("%s", (_what, expected, source) => {
    expect(errorOf(source)).toBe(expected);
  });

  it("rejects junk after the opening or closing ##", () => {
    expect(errorOf("\n##x\n##\n")).toBe("d.json:2:1: junk after '##' at start of documentation comment");
    expect(errorOf("##\n# text\n## x\n")).toBe("d.json:3:1: junk after '##' at end of documentation comment");
    expect(errorOf("###\n")).toBe("d.json:1:1: junk after '##' at start of documentation comment");
  });

  it("requires the closing ##", () => {
    expect(errorOf("##\n# @foo:\n{ 'command': 'foo' }\n")).toBe(
      "d.json:3:1: documentation comment must end with '##'",
    );
    expect(errorOf("##\n# @foo:\n")).toBe("d.json:2:8: documentation comment must end with '##'");
    expect(errorOf("\n##\n# text\n#\n")).toBe("d.json:4:2: documentation comment must end with '##'");
  });

  it("requires a definition block to be followed by its definition", () => {
    expect(errorOf("##\n# @foo:\n##\n")).toBe(
      "d.json:1: documentation for 'foo' is not followed by the definition",
    );
    expect(errorOf("##\n# @foo:\n##\n{ 'pragma': { 'doc-required': true } }\n")).toBe(
      "d.json:1: documentation for 'foo' is not followed by the definition",
    );
    expect(errorOf("##\n# @foo:\n##\n##\n# @bar:\n##\n{ 'command': 'bar' }")).toBe(
      "d.json:1: documentation for 'foo' is not followed by the definition",
    );
    expect(errorOf("\n##\n# Text\n##\n{ 'command': 'foo' }\n")).toBe(
      "d.json:2: definition documentation required",
    );
  });

  it("lets a free-form block stand before a directive or another block", () => {
    const parsed = parseSchemaSource(
      "##\n# Text\n##\n{ 'pragma': { 'doc-required': true } }\n##\n# More\n##\n",
    );
    expect(parsed.freeDocs.map((d) => d.body)).toEqual(["Text", "More"]);
  });
});

describe("connecting a doc to its definition", () => {
  const info = new SourceInfo("d.json", 9, 3, undefined);

  it("marks documented members and adds undocumented ones after them", () => {
    const doc = docOf(block("@foo:", "@a: x"));
    doc.connectMember("b", info);
    doc.connectMember("a", info);
    expect(doc.args.map((a) => [a.name, a.text, a.connected])).toEqual([
      ["a", "x", true],
      ["b", "", true],
    ]);
    expect(doc.args[1]?.info).toBe(info);
    expect(() => doc.check()).not.toThrow();
  });

  it("requires every feature to be documented", () => {
    const doc = docOf(block("@foo:", "Features:", "@f: x"));
    doc.connectFeature("f", info);
    expect(doc.features[0]?.connected).toBe(true);
    expect(() => doc.connectFeature("g", info)).toThrow("d.json:9:3: feature 'g' lacks documentation");
  });

  it("reports documented members and features that do not exist", () => {
    const one = docOf(block("@foo:", "@a: x"));
    expect(() => one.check()).toThrow(/^d\.json:1: documented member 'a' does not exist$/);
    const two = docOf(block("@foo:", "@a: x", "@b: y", "@c: z"));
    two.connectMember("b", info);
    expect(() => two.check()).toThrow(/^d\.json:1: documented members 'a', 'c' do not exist$/);
    const feature = docOf(block("@foo:", "Features:", "@f: x"));
    expect(() => feature.check()).toThrow(/^d\.json:1: documented feature 'f' does not exist$/);
  });

  it("allows 'Returns:' only on commands", () => {
    const doc = docOf(block("@foo:", "Returns: x"));
    expect(() => doc.checkExpression({ command: "foo" })).not.toThrow();
    expect(() => doc.checkExpression({ struct: "Foo" })).toThrow(
      "d.json:1: 'Returns:' is only valid for commands",
    );
  });
});

/** QEMU's test dump of doc blocks (the tail of NAME.out). */
/** QEMU's test dump of doc blocks; an untagged section is "None" in 7.2's and "Plain" in 10.0's. */
function dumpDocs(docs: SchemaDoc[], untagged = "None"): string {
  const out: string[] = [];
  for (const doc of docs) {
    out.push(doc.symbol === undefined ? "doc freeform" : `doc symbol=${doc.symbol}`);
    out.push(`    body=\n${doc.body}`);
    for (const arg of doc.args) out.push(`    arg=${arg.name}\n${arg.text}`);
    for (const feature of doc.features) out.push(`    feature=${feature.name}\n${feature.text}`);
    for (const section of doc.sections) out.push(`    section=${section.tag ?? untagged}\n${section.text}`);
  }
  return `${out.join("\n")}\n`;
}

/** The members QEMU connects to a definition's doc, for the shapes doc-good.json uses. */
function localMembers(expr: QapiObject): string[] {
  const names = (value: QapiValue | undefined): string[] => {
    if (Array.isArray(value))
      return value.map((v) => (typeof v === "string" ? v : String((v as QapiObject).name)));
    if (value && typeof value === "object") return Object.keys(value).map((k) => k.replace(/^\*/, ""));
    return [];
  };
  if (expr.union !== undefined) return names(expr.base);
  return names(expr.data);
}

function allDocsInOrder(parsed: ParsedSchema): SchemaDoc[] {
  const docs = [...parsed.freeDocs, ...parsed.expressions.flatMap((e) => (e.doc ? [e.doc] : []))];
  return docs.sort((a, b) => a.info.line - b.info.line);
}

describe.each(["7.2", "10.0"] as const)("QEMU %s's doc-good.json", (version) => {
  const tree = qemuParserCorpus(version);
  it.skipIf(tree === undefined)("yields exactly the doc sections QEMU dumps", () => {
    const dir = tree ?? "";
    const old = process.cwd();
    process.chdir(dir);
    let parsed: ParsedSchema;
    try {
      parsed = parseSchemaFile("doc-good.json", { dialect: version });
    } finally {
      process.chdir(old);
    }
    for (const { expr, doc } of parsed.expressions) {
      for (const name of localMembers(expr)) doc?.connectMember(name, undefined);
    }
    const out = readFileSync(path.join(dir, "doc-good.out"), "utf8");
    const expected = out.slice(out.indexOf("doc freeform"));
    expect(dumpDocs(allDocsInOrder(parsed), version === "7.2" ? "None" : "Plain")).toBe(expected);
  });
});

describe("QEMU 10.0's doc rules (beyond what its corpus shows)", () => {
  const load = (source: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), "jobshim-doc10-"));
    try {
      writeFileSync(path.join(dir, "d.json"), source);
      return loadSchema(path.join(dir, "d.json"), { dialect: "10.0" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const struct =
    "##\n# @Shape:\n#\n# @a: documented\n##\n{ 'struct': 'Shape', 'data': { 'a': 'int', 'b': 'str' } }\n";

  it("refuses an undocumented member of a documented definition, which 7.2 accepted", () => {
    expect(() => load(struct)).toThrow(/d\.json:6:\d+: member 'b' lacks documentation/);
    expect(parseSchemaSource(struct, "d.json").expressions[0]?.doc?.args.map((a) => a.name)).toEqual(["a"]);
  });

  it("accepts it when documentation-exceptions names the definition, with an empty description", () => {
    const schema = load(`{ 'pragma': { 'documentation-exceptions': [ 'Shape' ] } }\n${struct}`);
    const doc = schema.lookup("Shape")?.doc;
    expect(doc?.args.map((a) => [a.name, a.text])).toEqual([
      ["a", "documented"],
      ["b", ""],
    ]);
  });

  it("refuses 7.2's Example: and Note: sections with the directive to use instead", () => {
    const source = (tag: string) =>
      `##\n# @Shape:\n#\n# ${tag}: text\n##\n{ 'struct': 'Shape', 'data': {} }\n`;
    expect(() => parseSchemaSource(source("Example"), "d.json", { dialect: "10.0" })).toThrow(
      "d.json:4:1: The 'Example' section is no longer supported. Please use the '.. qmp-example::' directive, or other suitable markup instead.",
    );
    expect(() => parseSchemaSource(source("Note"), "d.json", { dialect: "10.0" })).toThrow(/'\.\. note::'/);
    expect(parseSchemaSource(source("Example"), "d.json").expressions[0]?.doc?.sections[0]?.tag).toBe(
      "Example",
    );
  });
});

/**
 * A `##` doc comment block in QEMU 10.0's language. 10.0 reads a block as a sequence of
 * sections, each started by its first line: `@name:` member descriptions (indented continuation
 * lines), one `Features:` part, tagged sections (Returns, Errors, Since, TODO; the older Note and
 * Example sections are refused with a pointer to their rST replacements) and plain paragraphs.
 * Undocumented members of a documented definition are an error unless the `documentation-exceptions`
 * pragma names the definition. Written from QEMU 10.0's rules and error texts; the 7.2 language
 * lives in doc-comment.ts.
 */
import type { Pragma } from "./ast.ts";
import type { DocArgument, DocSection, SchemaDoc } from "./doc.ts";
import { SchemaError, type SourceInfo } from "./source-info.ts";

/** One comment line of the block as the lexer gave it (`#...`), or the closing `##` (text undefined). */
export interface DocLine {
  text: string | undefined;
  info: SourceInfo;
}

type Kind = "Plain" | "Member" | "Feature" | "Returns" | "Errors" | "Since" | "Todo";

const TAGGED = /^(Returns|Errors|Since|Notes?|Examples?|TODO)(?!::): */;
const AT_NAME_COLON = /^@([^:]*): */;

class Section implements DocSection {
  text = "";
  constructor(
    public info: SourceInfo,
    readonly kind: Kind,
  ) {}

  get tag(): string | undefined {
    return this.kind === "Plain" ? undefined : this.kind;
  }

  appendLine(line: string): void {
    this.text += `${line}\n`;
  }
}

class ArgSection extends Section implements DocArgument {
  connected = false;
  constructor(
    info: SourceInfo,
    kind: Kind,
    readonly name: string,
  ) {
    super(info, kind);
  }
}

export class DocComment10 implements SchemaDoc {
  readonly allSections: Section[];
  readonly args: ArgSection[] = [];
  readonly features: ArgSection[] = [];
  readonly sections: Section[] = [];
  private returns: Section | undefined;
  private errors: Section | undefined;
  private since: Section | undefined;

  constructor(
    readonly info: SourceInfo,
    readonly symbol: string | undefined,
    /** The schema's pragmas; complete by the time members are connected. */
    private readonly pragma: Pragma,
  ) {
    this.allSections = [new Section(info, "Plain")];
  }

  get body(): string {
    return this.allSections[0]?.text ?? "";
  }

  appendLine(line: string): void {
    this.allSections[this.allSections.length - 1]?.appendLine(line);
  }

  ensureUntaggedSection(info: SourceInfo): void {
    const last = this.allSections[this.allSections.length - 1];
    if (last?.kind === "Plain") {
      // An empty plain section starts where its first text is.
      if (!last.text) last.info = info;
      last.text += "\n";
      return;
    }
    const section = new Section(info, "Plain");
    this.sections.push(section);
    this.allSections.push(section);
  }

  newTaggedSection(info: SourceInfo, kind: Kind): void {
    const section = new Section(info, kind);
    const unique =
      kind === "Returns" ? "returns" : kind === "Errors" ? "errors" : kind === "Since" ? "since" : undefined;
    if (unique !== undefined) {
      if (this[unique]) throw new SchemaError(info, `duplicated '${kind}' section`);
      this[unique] = section;
    }
    this.sections.push(section);
    this.allSections.push(section);
  }

  newDescription(info: SourceInfo, name: string, kind: "Member" | "Feature"): void {
    const into = kind === "Member" ? this.args : this.features;
    if (!name) throw new SchemaError(info, "invalid parameter name");
    if (into.some((section) => section.name === name)) {
      throw new SchemaError(info, `'${name}' parameter name duplicated`);
    }
    const section = new ArgSection(info, kind, name);
    this.allSections.push(section);
    into.push(section);
  }

  end(): void {
    for (const section of this.allSections) {
      section.text = section.text.replace(/^\n+|\n+$/g, "");
      if (section.kind !== "Plain" && section.text === "") {
        throw new SchemaError(section.info, `text required after '${section.kind}:'`);
      }
    }
  }

  connectMember(name: string, info: SourceInfo | undefined, role = "member"): void {
    let section = this.args.find((arg) => arg.name === name);
    if (!section) {
      if (this.symbol === undefined || !this.pragma.documentationExceptions.includes(this.symbol)) {
        throw new SchemaError(info, `${role} '${name}' lacks documentation`);
      }
      // An exempt undocumented member gets an empty description after the documented ones.
      section = new ArgSection(this.info, "Member", name);
      this.args.push(section);
      let index = 1;
      while (this.allSections[index]?.kind === "Member") index++;
      this.allSections.splice(index, 0, section);
    }
    section.connected = true;
  }

  connectFeature(name: string, info: SourceInfo | undefined): void {
    const section = this.features.find((feature) => feature.name === name);
    if (!section) throw new SchemaError(info, `feature '${name}' lacks documentation`);
    section.connected = true;
  }

  checkExpression(expr: Record<string, unknown>): void {
    if (Object.hasOwn(expr, "command")) {
      if (this.returns && !Object.hasOwn(expr, "returns")) {
        throw new SchemaError(this.returns.info, "'Returns' section, but command doesn't return anything");
      }
      return;
    }
    if (this.returns)
      throw new SchemaError(this.returns.info, "'Returns' section is only valid for commands");
    if (this.errors) throw new SchemaError(this.errors.info, "'Errors' section is only valid for commands");
  }

  check(): void {
    checkConnected(this.args, "member");
    checkConnected(this.features, "feature");
  }
}

function checkConnected(sections: ArgSection[], what: string): void {
  const bogus = sections.filter((section) => !section.connected);
  const [first] = bogus;
  if (first === undefined) return;
  const several = bogus.length > 1;
  const names = bogus.map((section) => section.name).join("', '");
  throw new SchemaError(
    first.info,
    `documented ${what}${several ? "s" : ""} '${names}' ${several ? "do" : "does"} not exist`,
  );
}

/**
 * Reads the lines of one doc block (after its opening `##`, ending with the closing `##`) the way
 * QEMU 10.0 does: each section's first line decides what it is.
 */
export function parseDocBlock10(info: SourceInfo, lines: DocLine[], pragma: Pragma): DocComment10 {
  const reader = new LineReader(lines);
  let line = reader.next();
  let doc: DocComment10;
  if (line?.startsWith("@")) {
    if (!line.endsWith(":")) throw reader.error("line should end with ':'");
    const symbol = line.slice(1, -1);
    if (!symbol) throw reader.error("name required after '@'");
    doc = new DocComment10(info, symbol, pragma);
    line = reader.next();
    let noMoreArgs = false;
    while (line !== undefined) {
      while (line === "") line = reader.next();
      if (line === undefined) break;
      const description = AT_NAME_COLON.exec(line);
      const tagged = TAGGED.exec(line);
      if (line === "Features:") {
        if (doc.features.length > 0) throw reader.error("duplicated 'Features:' line");
        line = reader.next();
        while (line === "") line = reader.next();
        line = readDescriptions(reader, doc, line, "Feature");
        if (doc.features.length === 0) throw reader.error("feature descriptions expected");
        noMoreArgs = true;
      } else if (description) {
        if (noMoreArgs) throw reader.error(`description of '@${description[1]}:' follows a section`);
        line = readDescriptions(reader, doc, line, "Member");
        noMoreArgs = true;
      } else if (tagged) {
        const tag = tagged[1] as string;
        if (tag.includes("Note")) {
          throw reader.error(
            `The '${tag}' section is no longer supported. Please use rST's '.. note::' or '.. admonition:: notes' directives, or another suitable admonition instead.`,
          );
        }
        if (tag.includes("Example")) {
          throw reader.error(
            `The '${tag}' section is no longer supported. Please use the '.. qmp-example::' directive, or other suitable markup instead.`,
          );
        }
        doc.newTaggedSection(reader.info(), tag === "TODO" ? "Todo" : (tag as Kind));
        const text = line.slice(tagged[0].length);
        if (text) doc.appendLine(text);
        line = readIndented(reader, doc);
        noMoreArgs = true;
      } else if (line.startsWith("=")) {
        throw reader.error("unexpected '=' markup in definition documentation");
      } else {
        doc.ensureUntaggedSection(reader.info());
        doc.appendLine(line);
        line = readParagraph(reader, doc);
      }
    }
  } else {
    doc = new DocComment10(info, undefined, pragma);
    doc.ensureUntaggedSection(reader.info());
    let first = true;
    while (line !== undefined) {
      const match = AT_NAME_COLON.exec(line);
      if (match) throw reader.error(`'@${match[1]}:' not allowed in free-form documentation`);
      if (line.startsWith("=") && !first)
        throw reader.error("'=' heading must come first in a comment block");
      doc.appendLine(line);
      line = reader.next();
      first = false;
    }
  }
  doc.end();
  return doc;
}

/** A run of `@name: text` descriptions with their indented continuation lines. */
function readDescriptions(
  reader: LineReader,
  doc: DocComment10,
  first: string | undefined,
  kind: "Member" | "Feature",
): string | undefined {
  let line = first;
  for (;;) {
    const match = line === undefined ? null : AT_NAME_COLON.exec(line);
    if (line === undefined || match === null) return line;
    doc.newDescription(reader.info(), match[1] as string, kind);
    const text = line.slice(match[0].length);
    if (text) doc.appendLine(text);
    line = readIndented(reader, doc);
  }
}

/** Continuation lines: all indented at least as far as the first; a blank line may end them. */
function readIndented(reader: LineReader, doc: DocComment10): string | undefined {
  let line = reader.next();
  while (line === "") {
    doc.appendLine(line);
    line = reader.next();
  }
  if (line === undefined) return line;
  const indent = leadingSpace(line);
  if (!indent) return line;
  doc.appendLine(line);
  let previousBlank = false;
  for (;;) {
    line = reader.next();
    if (line === undefined || AT_NAME_COLON.test(line)) return line;
    if (line !== "" && leadingSpace(line) < indent) {
      if (previousBlank) return line;
      throw reader.error(`unexpected de-indent (expected at least ${indent} spaces)`);
    }
    doc.appendLine(line);
    // QEMU's rule as it stands: once a continuation line was read, a de-indent ends the section.
    previousBlank = true;
  }
}

function readParagraph(reader: LineReader, doc: DocComment10): string | undefined {
  for (;;) {
    const line = reader.next();
    if (line === undefined || line === "") return line;
    doc.appendLine(line);
  }
}

/** Hands out the block's lines, without the `# ` prefix; undefined at the closing `##`. */
class LineReader {
  private index = -1;
  constructor(private readonly lines: DocLine[]) {}

  next(): string | undefined {
    this.index++;
    const line = this.lines[this.index];
    if (line?.text === undefined) return undefined;
    if (line.text === "#") return "";
    if (line.text[1] !== " ") throw this.error("missing space after #");
    return line.text.slice(2).trimEnd();
  }

  /** Where the current line is (its `#`, with the column). */
  info(): SourceInfo {
    const line = this.lines[Math.min(this.index, this.lines.length - 1)];
    if (line === undefined) throw new Error("doc block without lines");
    return line.info;
  }

  error(message: string): SchemaError {
    return new SchemaError(this.info(), message);
  }
}

function leadingSpace(line: string): number {
  return /^\s*/.exec(line)?.[0].length ?? 0;
}

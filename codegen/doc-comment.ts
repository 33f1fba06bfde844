/**
 * A `##` doc comment block, built line by line by the parser and later connected to the
 * definition it documents. The section rules (symbol line, `@arg:` sections, `Features:`,
 * tagged sections, indentation) and every error text follow QEMU 7.2's doc parser, so that
 * QEMU's own schema and test corpus are accepted and rejected exactly as QEMU does.
 */
import type { DocArgument, DocSection, SchemaDoc } from "./doc.ts";
import { SchemaError, type SourceInfo } from "./source-info.ts";

/** Where the parser currently is: doc errors point at the comment line being read. */
export interface DocCursor {
  error(message: string): SchemaError;
  tokenInfo(): SourceInfo;
}

/** Section tags QEMU recognises (singular and plural forms are both in use). */
const SECTION_TAGS = new Set(["Returns:", "Since:", "Note:", "Notes:", "Example:", "Examples:", "TODO:"]);

/** Tags that may occur only once per block. */
const UNIQUE_TAGS = new Set(["Returns", "Since"]);

/** A run of text with the indentation its continuation lines must keep. */
class Section {
  text = "";

  constructor(
    private readonly cursor: DocCursor,
    /** Tag for tagged sections, member/feature name for argument sections. */
    readonly name: string | undefined,
    readonly info: SourceInfo,
    /** Column (0-based) where the first line's text started; later lines must reach it. */
    private readonly indent = 0,
  ) {}

  append(line: string): void {
    if (line) {
      const indent = leadingSpace(line);
      if (indent < this.indent) {
        throw this.cursor.error(`unexpected de-indent (expected at least ${this.indent} spaces)`);
      }
      line = line.slice(this.indent);
    }
    this.text += `${line.trimEnd()}\n`;
  }
}

class TaggedSection extends Section implements DocSection {
  get tag(): string | undefined {
    return this.name;
  }
}

class ArgSection extends Section implements DocArgument {
  connected = false;

  // An argument section always has a name.
  declare readonly name: string;
}

type LineHandler = (line: string) => void;

export class DocComment implements SchemaDoc {
  symbol: string | undefined;
  readonly args: ArgSection[] = [];
  readonly features: ArgSection[] = [];
  readonly sections: TaggedSection[] = [];
  private readonly bodySection: Section;
  private current: Section | undefined;
  private appendLine: LineHandler = (line) => this.appendBodyLine(line);

  constructor(
    private readonly cursor: DocCursor,
    /** Location of the block's opening `##` (line only, as QEMU reports it). */
    readonly info: SourceInfo,
  ) {
    this.bodySection = new Section(cursor, undefined, info);
    this.current = this.bodySection;
  }

  get body(): string {
    return this.bodySection.text;
  }

  /** True once the body has any text, blank lines included (QEMU's test for starting a new block). */
  hasBodyText(): boolean {
    return this.bodySection.text !== "";
  }

  /** Feeds one comment line, `#` included. */
  append(comment: string): void {
    const line = comment.slice(1);
    if (!line) {
      this.appendFreeform(line);
      return;
    }
    if (line[0] !== " ") throw this.cursor.error("missing space after #");
    this.appendLine(line.slice(1));
  }

  /** Called at the closing `##`. */
  endComment(): void {
    this.endSection();
  }

  private appendBodyLine(line: string): void {
    const name = firstWord(line);
    if (this.symbol === undefined && !this.hasBodyText() && line.startsWith("@")) {
      if (!line.endsWith(":")) throw this.cursor.error("line should end with ':'");
      this.symbol = line.slice(1, -1);
      if (!this.symbol) throw this.cursor.error("name required after '@'");
    } else if (this.symbol !== undefined) {
      if (isSymbolTag(name)) {
        this.appendLine = (l) => this.appendArgsLine(l);
        this.appendArgsLine(line);
      } else if (line === "Features:") {
        this.appendLine = (l) => this.appendFeaturesLine(l);
      } else if (SECTION_TAGS.has(name)) {
        this.appendLine = (l) => this.appendVariousLine(l);
        this.appendVariousLine(line);
      } else {
        this.appendFreeform(line);
      }
    } else {
      this.appendFreeform(line);
    }
  }

  private appendArgsLine(line: string): void {
    this.appendSymbolLine(line, this.args, true);
  }

  private appendFeaturesLine(line: string): void {
    this.appendSymbolLine(line, this.features, false);
  }

  /** Lines of the `@arg:` or `Features:` part; `Features:` may follow args after a blank line. */
  private appendSymbolLine(line: string, into: ArgSection[], featuresMayFollow: boolean): void {
    const name = firstWord(line);
    if (isSymbolTag(name)) {
      const [text, indent] = hangingIndent(line, /^@\S*:\s*/);
      this.startSymbolSection(into, name.slice(1, -1), indent);
      this.appendFreeform(text);
      return;
    }
    if (SECTION_TAGS.has(name)) {
      this.appendLine = (l) => this.appendVariousLine(l);
      this.appendVariousLine(line);
      return;
    }
    // A paragraph starting flush left after a blank line ends the argument descriptions.
    if (this.current?.text.endsWith("\n\n") && line && !isSpace(line[0] as string)) {
      if (featuresMayFollow && line === "Features:") {
        this.appendLine = (l) => this.appendFeaturesLine(l);
      } else {
        this.startSection(undefined, 0);
        this.appendLine = (l) => this.appendVariousLine(l);
        this.appendVariousLine(line);
      }
      return;
    }
    this.appendFreeform(line);
  }

  private appendVariousLine(line: string): void {
    const name = firstWord(line);
    if (isSymbolTag(name)) {
      const first = this.sections[0]?.name ?? "None";
      throw this.cursor.error(`'${name}' can't follow '${first}' section`);
    }
    if (SECTION_TAGS.has(name)) {
      const [text, indent] = hangingIndent(line, /^\S*:\s*/);
      this.startSection(name.slice(0, -1), indent);
      line = text;
    }
    this.appendFreeform(line);
  }

  private startSymbolSection(into: ArgSection[], name: string, indent: number): void {
    if (!name) throw this.cursor.error("invalid parameter name");
    if (into.some((section) => section.name === name)) {
      throw this.cursor.error(`'${name}' parameter name duplicated`);
    }
    this.endSection();
    const section = new ArgSection(this.cursor, name, this.cursor.tokenInfo(), indent);
    into.push(section);
    this.current = section;
  }

  private startSection(tag: string | undefined, indent: number): void {
    if (tag !== undefined && UNIQUE_TAGS.has(tag) && this.hasSection(tag)) {
      throw this.cursor.error(`duplicated '${tag}' section`);
    }
    this.endSection();
    const section = new TaggedSection(this.cursor, tag, this.cursor.tokenInfo(), indent);
    this.sections.push(section);
    this.current = section;
  }

  private endSection(): void {
    const section = this.current;
    if (!section) return;
    section.text = section.text.trim();
    if (section.name && !section.text) throw this.cursor.error(`empty doc section '${section.name}'`);
    this.current = undefined;
  }

  private appendFreeform(line: string): void {
    const symbol = /^@\S+:/.exec(line);
    if (symbol) throw this.cursor.error(`'${symbol[0]}' not allowed in free-form documentation`);
    // `current` is only unset after the block ended; nothing is appended then.
    this.current?.append(line);
  }

  private hasSection(tag: string): boolean {
    return this.sections.some((section) => section.name === tag);
  }

  connectMember(name: string, info: SourceInfo | undefined): void {
    let section = this.args.find((arg) => arg.name === name);
    if (!section) {
      // An undocumented member gets an empty description, as QEMU does.
      section = new ArgSection(this.cursor, name, info ?? this.info);
      this.args.push(section);
    }
    section.connected = true;
  }

  connectFeature(name: string, info: SourceInfo | undefined): void {
    const section = this.features.find((feature) => feature.name === name);
    if (!section) throw new SchemaError(info, `feature '${name}' lacks documentation`);
    section.connected = true;
  }

  checkExpression(expr: Record<string, unknown>): void {
    if (this.hasSection("Returns") && !Object.hasOwn(expr, "command")) {
      throw new SchemaError(this.info, "'Returns:' is only valid for commands");
    }
  }

  check(): void {
    this.checkConnected(this.args, "member");
    this.checkConnected(this.features, "feature");
  }

  private checkConnected(sections: ArgSection[], what: string): void {
    const bogus = sections.filter((section) => !section.connected).map((section) => section.name);
    if (bogus.length === 0) return;
    const several = bogus.length > 1;
    throw new SchemaError(
      this.info,
      `documented ${what}${several ? "s" : ""} '${bogus.join("', '")}' ${several ? "do" : "does"} not exist`,
    );
  }
}

/** `@name:` (possibly `@:`), the form that starts an argument or feature section. */
function isSymbolTag(word: string): boolean {
  return word.startsWith("@") && word.endsWith(":");
}

/** The text up to the first space (Python's `line.split(' ', 1)[0]`). */
function firstWord(line: string): string {
  const space = line.indexOf(" ");
  return space < 0 ? line : line.slice(0, space);
}

/**
 * For `Tag:   first line`, the text with the tag blanked out and the column the text starts at,
 * which is the indentation continuation lines must keep. A bare tag imposes no indentation.
 */
function hangingIndent(line: string, tag: RegExp): [string, number] {
  const end = tag.exec(line)?.[0].length ?? 0;
  const rest = line.slice(end);
  return rest ? [" ".repeat(end) + rest, end] : [rest, 0];
}

function leadingSpace(line: string): number {
  return /^\s*/.exec(line)?.[0].length ?? 0;
}

function isSpace(ch: string): boolean {
  return /^\s$/.test(ch);
}

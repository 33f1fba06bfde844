/**
 * Where a schema entity or error comes from. Shared by every codegen stage so that any error
 * can be reported as `FILE:LINE:COL: message` with the include chain and definition context.
 */
export class SourceInfo {
  /** The definition this location is inside, e.g. meta "command", name "migrate". */
  defnMeta: string | undefined;
  defnName: string | undefined;

  constructor(
    /** File name as the user named it (relative names stay relative). */
    readonly file: string,
    /** 1-based line. */
    readonly line: number,
    /** 1-based column, when known. */
    readonly col: number | undefined,
    /** The location of the `include` directive that brought this file in. */
    readonly parent: SourceInfo | undefined,
  ) {}

  /** The same definition context at another position (e.g. a member inside the definition). */
  at(line: number, col?: number): SourceInfo {
    const info = new SourceInfo(this.file, line, col, this.parent);
    info.defnMeta = this.defnMeta;
    info.defnName = this.defnName;
    return info;
  }

  setDefinition(meta: string, name: string): void {
    this.defnMeta = meta;
    this.defnName = name;
  }

  /** `FILE:LINE` or `FILE:LINE:COL`. */
  location(): string {
    return this.col === undefined ? `${this.file}:${this.line}` : `${this.file}:${this.line}:${this.col}`;
  }

  /** `In file included from ...` lines, outermost first, each ending in a newline. */
  includePath(): string {
    const lines: string[] = [];
    for (let p = this.parent; p; p = p.parent) lines.unshift(`In file included from ${p.file}:${p.line}:\n`);
    return lines.join("");
  }

  /** `FILE: In command 'x':` line, or nothing outside a definition. */
  inDefinition(): string {
    return this.defnName === undefined ? "" : `${this.file}: In ${this.defnMeta} '${this.defnName}':\n`;
  }

  /** The full prefix of an error at this location, without the trailing `: message`. */
  toString(): string {
    return this.includePath() + this.inDefinition() + this.location();
  }
}

/** A schema error: always located. Its `message` is the full multi-line text the CLI prints. */
export class SchemaError extends Error {
  constructor(
    readonly info: SourceInfo | undefined,
    /** The bare message, lower-case, names in quotes. */
    readonly bareMessage: string,
  ) {
    super(info ? `${info.toString()}: ${bareMessage}` : bareMessage);
    this.name = "SchemaError";
  }
}

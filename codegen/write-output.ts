/**
 * Writes emitter output to disk only where it changed (so timestamps and watchers stay quiet),
 * removes generated files that are no longer produced, and in check mode only reports staleness.
 *
 * The output directory may hold the user's own files: only a file jobshim codegen provably wrote
 * (its first line carries the generated-file notice, or, for formats that cannot hold a comment,
 * the directory's manifest lists it) is ever overwritten or removed. Anything else in the way of
 * an output is an error before a single byte is written; anything else elsewhere is kept.
 */
import { type Dirent, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { GENERATED_NOTICE, type GeneratedFile } from "./generated-file.ts";

/**
 * Lists the generated files that cannot carry the notice themselves (JSON has no comments), so a
 * later run knows it may replace them. It carries the notice, so it is recognisably ours too.
 */
export const MANIFEST_FILE = ".jobshim-generated";

export interface OutputReport {
  /** How many files the output consists of (the emitters' and the manifest). */
  files: number;
  /** Paths (relative to the output dir) whose content differs or that are missing. */
  changed: string[];
  /** Generated files present in the output dir that no emitter produces any more. */
  obsolete: string[];
  /** Files in the output dir that jobshim codegen did not write: never touched. */
  kept: string[];
}

/** A file jobshim did not write sits where an output must go; nothing was written. */
export class OutputConflictError extends Error {
  constructor(
    readonly outDir: string,
    readonly paths: string[],
  ) {
    super(
      `${paths.map((path) => join(outDir, path)).join(", ")}: not written by jobshim codegen ` +
        `(no generated-file notice), so it is not overwritten: move it away or choose another output directory`,
    );
    this.name = "OutputConflictError";
  }
}

export function syncOutput(
  outDir: string,
  files: GeneratedFile[],
  options: { check: boolean },
): OutputReport {
  const previousManifest = readManifest(outDir);
  const outputs = [...files, manifestFor(files)];
  const isOurs = (path: string, content: string) =>
    hasNotice(content) || (path !== MANIFEST_FILE && previousManifest.has(path));

  const report: OutputReport = { files: outputs.length, changed: [], obsolete: [], kept: [] };
  const conflicts: string[] = [];
  for (const file of outputs) {
    const existing = readExisting(join(outDir, file.path));
    if (existing === file.content) continue;
    if (existing === undefined || (existing !== NOT_A_FILE && isOurs(file.path, existing))) {
      report.changed.push(file.path);
    } else {
      conflicts.push(file.path);
    }
  }
  if (conflicts.length > 0) throw new OutputConflictError(outDir, conflicts);

  const produced = new Set(outputs.map((f) => f.path));
  for (const existing of listFiles(outDir)) {
    const path = relative(outDir, existing).split(sep).join("/");
    if (produced.has(path)) continue;
    const content = readExisting(existing);
    if (content !== undefined && content !== NOT_A_FILE && isOurs(path, content)) report.obsolete.push(path);
    else report.kept.push(path);
  }

  if (!options.check) {
    for (const path of report.changed) {
      const target = join(outDir, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputs.find((f) => f.path === path)?.content ?? "");
    }
    for (const path of report.obsolete) rmSync(join(outDir, path));
  }
  return report;
}

/** The notice must open the file (after the comment marker), not merely appear somewhere in it. */
function hasNotice(content: string): boolean {
  const firstLine = content.slice(0, content.indexOf("\n") >>> 0);
  return firstLine.includes(GENERATED_NOTICE) && firstLine.length < GENERATED_NOTICE.length + 8;
}

function manifestFor(files: GeneratedFile[]): GeneratedFile {
  const lines = [
    `# ${GENERATED_NOTICE}`,
    "# Files jobshim codegen wrote here that cannot carry that notice: it may replace or remove them.",
    ...files.filter((f) => !hasNotice(f.content)).map((f) => f.path),
  ];
  return { path: MANIFEST_FILE, content: `${lines.join("\n")}\n` };
}

function readManifest(outDir: string): Set<string> {
  const content = readExisting(join(outDir, MANIFEST_FILE));
  if (content === undefined || content === NOT_A_FILE || !hasNotice(content)) return new Set();
  return new Set(
    content
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => line.trim()),
  );
}

/** Something other than a regular file (a directory, a symlink) at a path: never ours. */
const NOT_A_FILE = Symbol("not a regular file");

function readExisting(path: string): string | typeof NOT_A_FILE | undefined {
  try {
    if (!lstatSync(path).isFile()) return NOT_A_FILE;
  } catch {
    return undefined;
  }
  return readFileSync(path, "utf8");
}

/** Every entry under dir that is not a directory; symlinks are listed, never followed. */
function listFiles(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path) : [path];
  });
}

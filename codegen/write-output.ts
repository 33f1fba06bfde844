/**
 * Writes emitter output to disk only where it changed (so timestamps and watchers stay quiet),
 * removes generated files that are no longer produced, and in check mode only reports staleness.
 */
import { type Dirent, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { GeneratedFile } from "./generated-file.ts";

export interface OutputReport {
  /** Paths (relative to the output dir) whose content differs or that are missing. */
  changed: string[];
  /** Paths present in the output dir that no emitter produces any more. */
  obsolete: string[];
}

export function syncOutput(
  outDir: string,
  files: GeneratedFile[],
  options: { check: boolean },
): OutputReport {
  const report: OutputReport = { changed: [], obsolete: [] };
  const produced = new Set(files.map((f) => f.path));
  for (const file of files) {
    const target = join(outDir, file.path);
    if (readIfExists(target) === file.content) continue;
    report.changed.push(file.path);
    if (!options.check) {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, file.content);
    }
  }
  for (const existing of listFiles(outDir)) {
    const path = relative(outDir, existing);
    if (produced.has(path)) continue;
    report.obsolete.push(path);
    if (!options.check) rmSync(existing);
  }
  return report;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

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

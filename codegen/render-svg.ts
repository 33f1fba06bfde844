/**
 * Renders the emitted Graphviz diagrams to SVG for the docs, where Graphviz is installed.
 * SVG bytes depend on the Graphviz version, so they are a convenience for readers, not part of
 * the deterministic generated output that `codegen --check` compares.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { GeneratedFile } from "./generated-file.ts";

export interface SvgRenderResult {
  rendered: string[];
  /** Why nothing was rendered, when nothing was. */
  skipped?: string;
}

export function renderDiagramsToSvg(files: GeneratedFile[], docsDir: string): SvgRenderResult {
  const dotFiles = files.filter((file) => file.path.endsWith(".dot"));
  if (spawnSync("dot", ["-V"]).error) return { rendered: [], skipped: "Graphviz 'dot' is not installed" };
  mkdirSync(docsDir, { recursive: true });
  const rendered: string[] = [];
  for (const file of dotFiles) {
    const result = spawnSync("dot", ["-Tsvg"], { input: file.content, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`dot failed on ${file.path}: ${result.stderr.trim()}`);
    const target = join(docsDir, basename(file.path).replace(/\.dot$/, ".svg"));
    if (readOrEmpty(target) !== result.stdout) writeFileSync(target, result.stdout);
    rendered.push(target);
  }
  return { rendered };
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

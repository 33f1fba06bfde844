import { existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package root, wherever jobshim is installed and whether this module runs from cli/ or
 * compiled from dist/cli/: the nearest directory above it holding package.json.
 */
export const projectRoot = packageRoot(dirname(fileURLToPath(import.meta.url)));

export function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return join(from, "..");
  }
}

/** The project's own schema and output locations, used when no --schema/--out is given. */
export const projectSchema = join(projectRoot, "schema", "jobshim.json");
export const projectOutDir = join(projectRoot, "src", "generated");
export const projectDiagramsDir = join(projectRoot, "docs", "diagrams");

/**
 * Why `root` is not a source checkout whose own generated code may be regenerated, or undefined
 * when it is one. An installed package (under node_modules, or shipping dist/ without the
 * TypeScript sources) must never have files written into it by a bare `jobshim codegen`.
 */
export function notASourceCheckout(root: string): string | undefined {
  if (root.split(/[\\/]/).includes("node_modules"))
    return `${root} is an installed package (inside node_modules)`;
  if (!existsSync(join(root, "codegen", "pipeline.ts")) || !existsSync(join(root, "src", "generated")))
    return `${root} is an installed package, not a source checkout (no codegen/ sources or src/generated/)`;
  return undefined;
}

/** A path as the user should read it: relative to the current directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}

import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root, wherever jobshim is installed. */
export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The project's own schema and output locations, used when no --schema/--out is given. */
export const projectSchema = join(projectRoot, "schema", "jobshim.json");
export const projectOutDir = join(projectRoot, "src", "generated");
export const projectDiagramsDir = join(projectRoot, "docs", "diagrams");

/** A path as the user should read it: relative to the current directory when inside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") ? path : rel;
}

import { spawnSync } from "node:child_process";
import path from "node:path";
import { projectRoot } from "../helpers/paths.ts";

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real bin, as a user would after `npm ci`. */
export function runJobshim(args: string[], cwd = projectRoot): CliRun {
  const run = spawnSync(process.execPath, [path.join(projectRoot, "bin/jobshim.js"), ...args], {
    cwd,
    encoding: "utf8",
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * The shell's history on disk: one entry a line, oldest first (as GNU readline writes
 * ~/.qmp-shell_history), so it survives the session and can be read or edited by hand.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";

export const HISTORY_SIZE = 1000;

export function defaultHistoryFile(): string {
  return path.join(homedir(), ".jobshim-shell_history");
}

/** Newest first, as readline's `history` option wants it; none when the file is missing. */
export function loadHistory(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw new Error(`cannot read history file ${file}: ${(error as Error).message}`);
  }
  return text.split("\n").filter(Boolean).reverse().slice(0, HISTORY_SIZE);
}

/** `history` newest first, as readline's 'history' event gives it. */
export function saveHistory(file: string, history: readonly string[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(
    file,
    [...history]
      .reverse()
      .map((line) => `${line}\n`)
      .join(""),
    { mode: 0o600 },
  );
}

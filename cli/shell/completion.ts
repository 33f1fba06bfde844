/**
 * Tab completion for `jobshim shell`, from what the monitor itself says it has: command and
 * argument names from `query-qmp-schema`, else command names from `query-commands`; HMP
 * command names from `help`. Nothing is invented: a monitor that answers none completes nothing.
 */
import type { QmpClient } from "../../src/qmp/client.ts";
import { isJsonObject, type JsonValue } from "../../src/qmp/json-value.ts";

export interface Completions {
  /** Command name → its argument names (empty when unknown). */
  readonly commands: ReadonlyMap<string, readonly string[]>;
  /** Where the names came from, for the greeting. */
  readonly source: string;
}

export async function qmpCompletions(client: QmpClient): Promise<Completions> {
  const schema = await client.execute("query-qmp-schema").catch(() => undefined);
  if (Array.isArray(schema)) return { commands: commandsOfSchema(schema), source: "query-qmp-schema" };
  const listed = await client.execute("query-commands").catch(() => undefined);
  if (Array.isArray(listed)) {
    const names = listed.flatMap((entry) =>
      isJsonObject(entry) && typeof entry.name === "string" ? [entry.name] : [],
    );
    return { commands: new Map(names.map((name) => [name, []])), source: "query-commands" };
  }
  return {
    commands: new Map(),
    source: "none (the monitor answers neither query-qmp-schema nor query-commands)",
  };
}

/** HMP's `help` lists one command a line, aliases joined by `|`: `cont|c  -- resume emulation`. */
export async function hmpCompletions(client: QmpClient): Promise<Completions> {
  const help = await client
    .execute("human-monitor-command", { "command-line": "help" })
    .catch(() => undefined);
  if (typeof help !== "string") return { commands: new Map(), source: "none (HMP help failed)" };
  const names = help.split("\n").flatMap((line) => (line.split(/\s/)[0] ?? "").split("|").filter(Boolean));
  return { commands: new Map(names.map((name) => [name, []])), source: "HMP help" };
}

function commandsOfSchema(schema: JsonValue[]): Map<string, string[]> {
  const objects = new Map<string, string[]>();
  for (const entry of schema)
    if (isJsonObject(entry) && entry["meta-type"] === "object" && Array.isArray(entry.members))
      objects.set(
        String(entry.name),
        entry.members.flatMap((m) => (isJsonObject(m) && typeof m.name === "string" ? [m.name] : [])),
      );
  const commands = new Map<string, string[]>();
  for (const entry of schema)
    if (isJsonObject(entry) && entry["meta-type"] === "command")
      commands.set(String(entry.name), objects.get(String(entry["arg-type"])) ?? []);
  return commands;
}

/** Readline's completer: the command name in the first word, `name=` in the others. */
export function completeLine(completions: Completions, line: string): [string[], string] {
  const words = line.split(/\s+/);
  const word = words.at(-1) ?? "";
  if (words.length === 1) return [matching([...completions.commands.keys()], word, " "), word];
  if (word.includes("=")) return [[], word];
  const given = new Set(words.slice(1, -1).map((w) => w.split("=")[0]));
  const args = (completions.commands.get(words[0] ?? "") ?? []).filter((name) => !given.has(name));
  return [matching(args, word, "="), word];
}

function matching(names: string[], prefix: string, suffix: string): string[] {
  const hits = names.filter((name) => name.startsWith(prefix)).sort();
  // A single hit is completed with its separator; several are listed as they are.
  return hits.length === 1 ? [`${hits[0]}${suffix}`] : hits;
}

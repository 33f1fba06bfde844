/**
 * One line typed into `jobshim shell`, as the request it stands for: `command key=value ...`
 * (qmp-shell's syntax), a whole QMP request in JSON (`{"execute": ..., "arguments": ...}`), or in
 * HMP mode an HMP command line sent through `human-monitor-command`.
 */
import { isJsonObject, type JsonObject } from "../../src/qmp/json-value.ts";
import { UsageError } from "../exit-codes.ts";
import { parseCommandArguments, parseJsonObject, splitWords } from "../qmp-arguments.ts";

export interface ShellRequest {
  command: string;
  args: JsonObject | undefined;
  oob: boolean;
}

/** Undefined for a blank line. */
export function requestOf(line: string, hmp: boolean): ShellRequest | undefined {
  const text = line.trim();
  if (text === "") return undefined;
  if (hmp) return { command: "human-monitor-command", args: { "command-line": text }, oob: false };
  if (text.startsWith("{")) return rawRequest(parseJsonObject(text, "the request"));
  const [command, ...words] = splitWords(text);
  return { command: command as string, args: parseCommandArguments(words), oob: false };
}

function rawRequest(request: JsonObject): ShellRequest {
  const oob = "exec-oob" in request;
  const command = oob ? request["exec-oob"] : request.execute;
  if (typeof command !== "string")
    throw new UsageError('a JSON request needs "execute" (or "exec-oob") naming the command');
  const args = request.arguments;
  if (args !== undefined && !isJsonObject(args)) throw new UsageError('"arguments" must be a JSON object');
  return { command, args, oob };
}

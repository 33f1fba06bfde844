/**
 * Command arguments the way qmp-shell takes them: `key=value` words, each value read as JSON
 * where it parses (`n=1`, `on=true`, `list=[1,2]`) and as a string otherwise (`uri=unix:/x`),
 * with dotted keys building nested objects (`caps.events=true`). A JSON object is accepted too.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../src/qmp/json-value.ts";
import { UsageError } from "./exit-codes.ts";

/** ARGS-JSON (one word starting with `{` or `[`) or `key=value` words; undefined for none. */
export function parseCommandArguments(words: readonly string[]): JsonObject | undefined {
  if (words.length === 0) return undefined;
  const [first] = words;
  if (words.length === 1 && /^\s*[{[]/.test(first ?? ""))
    return parseJsonObject(first as string, "ARGS-JSON");
  return parseKeyValues(words);
}

export function parseJsonObject(text: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(value)) throw new UsageError(`${what} must be a JSON object, like '{"id": "job0"}'`);
  return value;
}

export function parseKeyValues(words: readonly string[]): JsonObject {
  const args: JsonObject = {};
  for (const word of words) {
    const equals = word.indexOf("=");
    if (equals <= 0)
      throw new UsageError(
        `argument '${word}' is not key=value (or pass one JSON object, like '{"id": "job0"}')`,
      );
    setPath(args, word.slice(0, equals).split("."), argumentValue(word.slice(equals + 1)), word);
  }
  return args;
}

/** JSON where it parses; a value in single quotes, or anything else, is a string. */
export function argumentValue(text: string): JsonValue {
  if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1);
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

function setPath(target: JsonObject, keys: string[], value: JsonValue, word: string): void {
  const [key, ...rest] = keys;
  if (key === undefined || key === "") throw new UsageError(`argument '${word}' has an empty key`);
  if (rest.length === 0) {
    if (key in target) throw new UsageError(`argument '${key}' is given twice (in '${word}')`);
    target[key] = value;
    return;
  }
  const inner = target[key] ?? {};
  if (!isJsonObject(inner))
    throw new UsageError(`argument '${key}' is both a value and an object (in '${word}')`);
  target[key] = inner;
  setPath(inner, rest, value, word);
}

/**
 * Splits a shell line into words at blanks outside quotes and brackets, so
 * `blockdev-add node={"driver": "null-co"}` or `name='a b'` stay one word each.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const char = line[i] as string;
    if (quote === undefined && /\s/.test(char) && depth === 0) {
      if (word !== "") words.push(word);
      word = "";
      continue;
    }
    word += char;
    if (quote !== undefined) {
      // A JSON escape inside double quotes (`\"`) must not end the string.
      if (char === "\\" && quote === '"') word += line[++i] ?? "";
      else if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === "{" || char === "[") depth++;
    else if (char === "}" || char === "]") depth = Math.max(0, depth - 1);
  }
  if (quote !== undefined) throw new UsageError(`unterminated ${quote} quote`);
  if (word !== "") words.push(word);
  return words;
}

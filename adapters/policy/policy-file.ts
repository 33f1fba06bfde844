/**
 * Custom command policies from a JSON file, checked in full when the proxy starts: a bad file
 * stops the start with one line naming the file and the problem, never a policy half applied.
 *
 *   { "name": "monitoring", "allow": ["query-*", "job-pause"], "deny": ["query-qmp-schema"] }
 *
 * `allow` is required (an empty list allows nothing); `name` defaults to the file's base name.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { BUILTIN_POLICIES, type CommandPolicy, PATTERN_SYNTAX, patternPolicy } from "./command-policy.ts";

export class PolicyFileError extends Error {
  constructor(file: string, problem: string) {
    super(`policy file ${file}: ${problem}`);
    this.name = "PolicyFileError";
  }
}

const MEMBERS = ["name", "allow", "deny"];

export function loadPolicyFile(file: string): CommandPolicy {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new PolicyFileError(file, `cannot be read (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  return parsePolicy(text, file);
}

/** Checks a policy file's text; `file` only names it in errors. */
export function parsePolicy(text: string, file: string): CommandPolicy {
  const fail = (problem: string): never => {
    throw new PolicyFileError(file, problem);
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return fail("must hold a JSON object with 'allow' (and optionally 'deny' and 'name')");
  const object = value as Record<string, unknown>;
  const unknown = Object.keys(object).find((key) => !MEMBERS.includes(key));
  if (unknown !== undefined) fail(`unknown member '${unknown}' (expected ${MEMBERS.join(", ")})`);
  if (!("allow" in object)) fail("lacks member 'allow' (a list of command patterns)");
  const allow = patterns(object.allow, "allow", fail);
  const deny = "deny" in object ? patterns(object.deny, "deny", fail) : [];
  const name = object.name ?? path.basename(file, path.extname(file));
  if (typeof name !== "string" || name === "") return fail("member 'name' must be a non-empty string");
  return patternPolicy(name, { allow, deny });
}

function patterns(value: unknown, member: string, fail: (problem: string) => never): string[] {
  if (!Array.isArray(value)) return fail(`member '${member}' must be a list of command patterns`);
  value.forEach((item, index) => {
    if (typeof item !== "string") fail(`${member}[${index}] must be a string`);
    else if (!PATTERN_SYNTAX.test(item))
      fail(`${member}[${index}] '${item}' is not a command pattern (letters, digits, '-', '_', '.', '*')`);
  });
  return value as string[];
}

/** `--policy NAME` or `--policy-file PATH` as the CLI gives them; undefined means no policy. */
export function resolvePolicy(options: { policy?: string; policyFile?: string }): CommandPolicy | undefined {
  if (options.policy !== undefined && options.policyFile !== undefined)
    throw new Error("--policy and --policy-file exclude each other: give one");
  if (options.policyFile !== undefined) return loadPolicyFile(options.policyFile);
  if (options.policy === undefined) return undefined;
  const builtin = BUILTIN_POLICIES[options.policy];
  if (!Object.hasOwn(BUILTIN_POLICIES, options.policy) || !builtin)
    throw new Error(
      `unknown policy '${options.policy}': built-in policies are ${Object.keys(BUILTIN_POLICIES).join(", ")}; use --policy-file for your own`,
    );
  return builtin;
}

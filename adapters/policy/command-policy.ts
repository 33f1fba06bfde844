/**
 * A listener's command policy: which commands its clients may run. A command is allowed when
 * some `allow` pattern matches it and no `deny` pattern does; a pattern is a command name in
 * which `*` stands for any run of characters. `qmp_capabilities` is outside every policy: the
 * server answers it before any policy is asked, so a client can always negotiate.
 */
import type { QmpErrorBody } from "../../src/qmp/protocol.ts";

export interface CommandPolicy {
  readonly name: string;
  allows(command: string): boolean;
}

export interface PolicyRules {
  allow: readonly string[];
  deny?: readonly string[];
}

/** Characters a pattern may hold: those of QAPI command names, and `*`. */
export const PATTERN_SYNTAX = /^[A-Za-z0-9_.*-]+$/;

export function patternPolicy(name: string, rules: PolicyRules): CommandPolicy {
  const allow = rules.allow.map(patternRegExp);
  const deny = (rules.deny ?? []).map(patternRegExp);
  return {
    name,
    allows: (command) => allow.some((re) => re.test(command)) && !deny.some((re) => re.test(command)),
  };
}

function patternRegExp(pattern: string): RegExp {
  const parts = pattern.split("*").map((part) => part.replace(/[.\\^$+?()[\]{}|]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`);
}

/** The policies `--policy` knows by name. */
export const BUILTIN_POLICIES: Readonly<Record<string, CommandPolicy>> = {
  "read-only": patternPolicy("read-only", { allow: ["query-*"] }),
  full: patternPolicy("full", { allow: ["*"] }),
};

/**
 * The refusal a client gets. GenericError, like every QEMU refusal of a command that exists
 * but may not run now; the text names the command and the policy so the cause is plain.
 */
export function policyRefusal(command: string, policy: CommandPolicy): QmpErrorBody {
  return {
    class: "GenericError",
    desc: `Command '${command}' is not allowed by this listener's policy '${policy.name}'`,
  };
}

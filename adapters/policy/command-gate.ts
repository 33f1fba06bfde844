/**
 * What a proxy checks before a client's command reaches a facade handler or upstream: the
 * listener's policy, that the command exists upstream, that it may run out of band, and its
 * arguments (generated schemas, QEMU's words). What fails is answered here, so nothing invalid
 * is ever forwarded; what passes is answered by QEMU as before.
 */
import { commandRegistry } from "../../src/generated/registry.ts";
import type { QmpErrorBody } from "../../src/qmp/protocol.ts";
import {
  type ArgumentValidator,
  QmpCommandError,
  type QmpHandler,
  type QmpServerSession,
} from "../../src/qmp/server-session.ts";
import { type CommandPolicy, policyRefusal } from "./command-policy.ts";

export interface CommandGate {
  /** Commands upstream (and the facade) offer; undefined when upstream would not say. */
  known: ReadonlySet<string> | undefined;
  validate: ArgumentValidator;
  /** The policy of the listener a session came in on. */
  policyOf(session: QmpServerSession): CommandPolicy | undefined;
}

/** QAPI's allow-oob, from the generated registry. */
export const OOB_COMMANDS: ReadonlySet<string> = new Set(
  Object.values(commandRegistry)
    .filter((entry) => entry.allowOob)
    .map((entry) => entry.name),
);

/** Wraps a handler; `own` handlers (a facade's) skip the existence check. */
export function gated(
  command: string,
  handler: QmpHandler,
  gate: CommandGate,
  how: { own: boolean },
): QmpHandler {
  return (args, context) => {
    const refusal =
      policyProblem(command, gate.policyOf(context.session)) ??
      (how.own ? undefined : existenceProblem(command, gate.known)) ??
      (context.oob && !OOB_COMMANDS.has(command) ? notOob(command) : undefined) ??
      gate.validate(command, args);
    if (refusal) throw new QmpCommandError(refusal.class, refusal.desc);
    return handler(args, context);
  };
}

function policyProblem(command: string, policy: CommandPolicy | undefined): QmpErrorBody | undefined {
  return policy && !policy.allows(command) ? policyRefusal(command, policy) : undefined;
}

function existenceProblem(command: string, known: ReadonlySet<string> | undefined): QmpErrorBody | undefined {
  if (!known || known.has(command)) return undefined;
  return { class: "CommandNotFound", desc: `The command ${command} has not been found` };
}

const notOob = (command: string): QmpErrorBody => ({
  class: "GenericError",
  desc: `The command ${command} does not support OOB`,
});

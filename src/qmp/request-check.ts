/**
 * Checks a framed value is a well-formed QMP request, in the order and with the words QEMU
 * uses. Members are visited in QEMU's dictionary order, so when several are wrong the one
 * reported is the one QEMU reports.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "./json-value.ts";
import type { QmpErrorBody } from "./protocol.ts";
import { qdictOrder } from "./qdict-order.ts";

export interface CheckedRequest {
  ok: true;
  command: string;
  args: JsonObject;
  oob: boolean;
  id: JsonValue | undefined;
}

export interface RejectedRequest {
  ok: false;
  error: QmpErrorBody;
  id: JsonValue | undefined;
}

const generic = (desc: string): QmpErrorBody => ({ class: "GenericError", desc });

function memberError(request: JsonObject, allowOob: boolean): string | undefined {
  let execKey: string | undefined;
  for (const name of qdictOrder(Object.keys(request))) {
    const value = request[name];
    if (name === "execute" || (name === "exec-oob" && allowOob)) {
      if (typeof value !== "string") return `QMP input member '${name}' must be a string`;
      if (execKey) return `QMP input member '${name}' clashes with '${execKey}'`;
      execKey = name;
    } else if (name === "arguments") {
      if (!isJsonObject(value)) return "QMP input member 'arguments' must be an object";
    } else if (name !== "id") {
      return `QMP input member '${name}' is unexpected`;
    }
  }
  return execKey ? undefined : "QMP input lacks member 'execute'";
}

export function checkRequest(value: JsonValue, oobEnabled: boolean): CheckedRequest | RejectedRequest {
  if (!isJsonObject(value))
    return { ok: false, error: generic("QMP input must be a JSON object"), id: undefined };
  const id = value.id;
  const problem = memberError(value, oobEnabled);
  if (problem) return { ok: false, error: generic(problem), id };
  const oob = typeof value.execute !== "string";
  const command = (oob ? value["exec-oob"] : value.execute) as string;
  const args = isJsonObject(value.arguments) ? value.arguments : {};
  return { ok: true, command, args, oob, id };
}

/** QEMU runs a request out of band when it has `exec-oob` and no `execute`. */
export function looksOutOfBand(value: JsonValue): boolean {
  return isJsonObject(value) && "exec-oob" in value && !("execute" in value);
}

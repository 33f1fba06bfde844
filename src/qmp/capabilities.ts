/**
 * The `qmp_capabilities` command's own argument checks and capability acceptance, with QEMU's
 * texts. The server handles it itself because it changes the session's state.
 */
import { isJsonObject, type JsonObject } from "./json-value.ts";
import type { QmpErrorBody } from "./protocol.ts";

/** Capabilities this implementation knows how to honour. */
export const KNOWN_CAPABILITIES = ["oob"] as const;

const generic = (desc: string): QmpErrorBody => ({ class: "GenericError", desc });

/** Returns the capabilities to enable, or the error QEMU gives for these arguments. */
export function acceptCapabilities(args: JsonObject, offered: readonly string[]): string[] | QmpErrorBody {
  for (const name of Object.keys(args))
    if (name !== "enable") return generic(`Parameter '${name}' is unexpected`);
  if (args.enable === undefined) return [];
  if (!Array.isArray(args.enable) || isJsonObject(args.enable))
    return generic("Invalid parameter type for 'enable', expected: array");
  const wanted: string[] = [];
  for (const [index, value] of args.enable.entries()) {
    if (typeof value !== "string")
      return generic(`Invalid parameter type for 'enable[${index}]', expected: string`);
    if (!(KNOWN_CAPABILITIES as readonly string[]).includes(value))
      // QEMU 7.2 names list elements 'null' in this message (its visitor has no name for them).
      return generic(`Parameter 'null' does not accept value '${value}'`);
    wanted.push(value);
  }
  const unavailable = wanted.filter((cap) => !offered.includes(cap));
  if (unavailable.length > 0) return generic(`Capability ${unavailable.join(", ")} not available`);
  return wanted;
}

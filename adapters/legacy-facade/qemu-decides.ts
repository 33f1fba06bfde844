/**
 * Where the job API is stricter than the QEMU behind it, the legacy facade does not answer for
 * that QEMU (decision 0001, "The legacy facade answers as the QEMU behind it"): it sends the
 * legacy command itself to its backend, which passes it to QEMU, and QEMU accepts it or refuses it
 * with its own class and text. This is the whole of the legacy facade's dependence on the QEMU
 * version, and it holds no version number: 7.2 obeys `migrate_cancel` in postcopy and performs
 * block migration (`blk`, `inc`); 10.0 refuses both, in its words; each refuses `migrate-pause`
 * outside postcopy in its own words (10.0 also pauses in postcopy-recover).
 *
 * A backend that has no legacy command any more (a job-native QEMU, newer than 10.0) gets the
 * answer of the newest legacy QEMU jobshim knows, 10.0's, written here.
 */
import type { JsonObject, JsonValue } from "../../src/qmp/json-value.ts";
import { QmpCommandError } from "../../src/qmp/server-session.ts";
import { relay, type Upstream } from "../job-facade/upstream.ts";

/** QEMU 10.0's refusal of migrate_cancel once postcopy has started. */
const POSTCOPY_CANCEL_10_0 = "Postcopy migration in progress, cannot cancel.";

/** QEMU 10.0's refusal of migrate-pause outside postcopy (7.2 names postcopy-active alone). */
const PAUSE_OUTSIDE_POSTCOPY_10_0 =
  "migrate-pause is currently only supported during postcopy-active or postcopy-recover state";

/** Commands whose legacy form a job backend may lack, and 10.0's answer to each in its place. */
function answerWithoutLegacy(command: string, args: JsonObject): QmpCommandError {
  if (command === "migrate_cancel") return new QmpCommandError("GenericError", POSTCOPY_CANCEL_10_0);
  if (command === "migrate-pause") return new QmpCommandError("GenericError", PAUSE_OUTSIDE_POSTCOPY_10_0);
  // 10.0 (since 9.1) has no blk/inc: its argument check names the first one it meets.
  const removed = ["blk", "inc"].find((member) => member in args);
  if (command === "migrate" && removed !== undefined)
    return new QmpCommandError("GenericError", `Parameter '${removed}' is unexpected`);
  return new QmpCommandError("CommandNotFound", `The command ${command} has not been found`);
}

/** The legacy command, answered by the QEMU behind the backend. */
export async function letQemuDecide(
  upstream: Upstream,
  command: string,
  args: JsonObject = {},
): Promise<JsonValue> {
  try {
    return await relay(upstream, command, args);
  } catch (error) {
    if (error instanceof QmpCommandError && error.errorClass === "CommandNotFound")
      throw answerWithoutLegacy(command, args);
    throw error;
  }
}

/** A `migrate` only the QEMU behind can judge: with members the job API does not carry. */
export function isBeyondJobMigrate(args: JsonObject): boolean {
  return "blk" in args || "inc" in args;
}

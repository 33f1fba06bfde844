/**
 * Adoption (decision 0001, 14): a migration the facade did not start — a `migrate` passed
 * through, another monitor's, `-incoming URI` on QEMU's command line, or one already running
 * when the facade attached — is shown as a job all the same. These helpers decide from what QEMU
 * reports whether there is a migration to adopt, which way it goes, and the id it gets.
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../../src/qmp/json-value.ts";
import type { Direction } from "./machine-choice.ts";

/** The default ids, as a block job started without `job-id` takes its device's name. */
export const ADOPTED_ID: Readonly<Record<Direction, string>> = {
  outgoing: "migration",
  incoming: "migration-incoming",
};

/** Statuses after which QEMU has nothing left to do: there is no migration to adopt. */
const OVER: readonly string[] = ["none", "completed", "failed", "cancelled"];

/**
 * What QEMU's migration is doing, if anything worth a job: its status, or `setup` for a
 * destination that listens (QEMU 7.2 reports only `socket-address` then, no status: the state a
 * `job-migrate-incoming` job shows as substatus setup).
 */
export function runningStatus(details: JsonObject | undefined): string | undefined {
  if (!details) return undefined;
  const status = details.status;
  if (typeof status === "string") return OVER.includes(status) ? undefined : status;
  return Array.isArray(details["socket-address"]) ? "setup" : undefined;
}

/**
 * The migration's direction. QEMU has one MigrationInfo for both; a destination is the QEMU that
 * listens (`socket-address`) or whose run state is `inmigrate` (every `-incoming` QEMU until its
 * migration ends), or that runs the guest during postcopy (the source is stopped then).
 */
export function directionOf(details: JsonObject | undefined, runState: JsonValue): Direction {
  if (details && Array.isArray(details["socket-address"])) return "incoming";
  const state = isJsonObject(runState) ? runState.status : undefined;
  if (state === "inmigrate") return "incoming";
  const status = details?.status;
  if (state === "running" && typeof status === "string" && status.startsWith("postcopy")) return "incoming";
  return "outgoing";
}

/**
 * The first of `migration`, `migration-2`, `migration-3`, … (or `migration-incoming`, …) that no
 * job uses: a client may have named its own job `migration`, and a job id names one job.
 */
export function adoptedId(direction: Direction, taken: (id: string) => boolean): string {
  const base = ADOPTED_ID[direction];
  if (!taken(base)) return base;
  for (let n = 2; ; n++) if (!taken(`${base}-${n}`)) return `${base}-${n}`;
}

/**
 * The URI of a listening destination, from QEMU's `socket-address` (`tcp:HOST:PORT`,
 * `unix:PATH`), so that the job says where it listens; "" when QEMU does not say.
 */
export function uriOfSocketAddress(details: JsonObject | undefined): string {
  const list = details?.["socket-address"];
  const first = Array.isArray(list) ? list[0] : undefined;
  if (!isJsonObject(first)) return "";
  if (first.type === "inet") return `tcp:${String(first.host)}:${String(first.port)}`;
  if (first.type === "unix") return `unix:${String(first.path)}`;
  if (first.type === "vsock") return `vsock:${String(first.cid)}:${String(first.port)}`;
  return "";
}

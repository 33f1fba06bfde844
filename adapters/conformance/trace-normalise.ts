/**
 * Turns a raw legacy trace into what must be equal between two servers running the same
 * scenario. What is normalised, and why (nothing else is; every other difference is real):
 *
 * - Event timestamps are dropped: wall-clock time.
 * - Numbers inside query-migrate results (snapshots and query-migrate replies) become "<n>":
 *   byte counters, page counts, rates, times and sync counts depend on speed and load. Which
 *   members are present, every string (status, error-desc) and every boolean stay.
 * - Object members are sorted by name: JSON member order carries no meaning, and a server that
 *   rebuilds an object may order it differently.
 * - MIGRATION_PASS events leave the ordered list: how many dirty-bitmap syncs happen depends on
 *   the dirty rate and bandwidth, and where a pass lands between status events depends on
 *   thread timing. What stays is whether passes were seen at all, and whether their numbers
 *   rose by one from 1 (a real property a client can rely on).
 * - A scenario's `racyStatuses` (e.g. `active` when a cancel races the end of setup): MIGRATION
 *   events with those statuses are dropped for that scenario only.
 * - A scenario's `repeatedStatuses`: a MIGRATION event with one of these statuses is dropped when
 *   the trace already had one — QEMU 7.2 tells some statuses twice without a change in between
 *   (a second `cancelling` when migrate_cancel lands while cancelling; the false `setup` a
 *   destination sends on migrate-recover, decision 0001 "Learned from QEMU 7.2"), while a facade
 *   tells each status change once. The first report of the status is still compared.
 * - QEMU's text for a dead peer: a write to a socket whose peer died fails with EPIPE or with
 *   ECONNRESET depending on when the kernel noticed, so "Broken pipe" and "Connection reset by
 *   peer" are one error (real QEMU 7.2 gives either for the same scenario).
 * - Where a destination listens (`socket-address` in query-migrate): the socket's path and port
 *   are made per run (a fresh directory, a port the kernel picks), so they become "<path>" and
 *   "<port>"; the address type and host stay.
 * - A scenario's `racyReplies`: the replies of those commands leave the ordered list and are
 *   listed after it, unordered against events (QEMU's main thread answers while its migration
 *   thread reports; 7.2 shows both orders). The replies themselves are still compared.
 */
import type { JsonValue } from "../../src/qmp/json-value.ts";
import type { LegacyScenario } from "./catalogue/legacy.ts";
import type { RawTrace } from "./run-legacy-scenario.ts";
import type { TraceEntry } from "./trace-recorder.ts";

export type PassSummary = "none" | "counted from 1" | `out of order: ${string}`;

export interface NormalisedTrace {
  scenario: string;
  source: string[];
  destination: string[];
  passes: { source: PassSummary; destination: PassSummary };
}

export function normaliseTrace(
  raw: RawTrace,
  scenario: Pick<LegacyScenario, "racyStatuses" | "racyReplies" | "repeatedStatuses">,
): NormalisedTrace {
  const racy = scenario.racyStatuses ?? [];
  const floating = scenario.racyReplies ?? [];
  const once = (entries: readonly TraceEntry[]) => dropRepeats(entries, scenario.repeatedStatuses ?? []);
  return {
    scenario: raw.scenario,
    source: floatReplies(normaliseEntries(once(raw.source), racy), floating),
    destination: floatReplies(normaliseEntries(once(raw.destination), racy), floating),
    passes: { source: passSummary(raw.source), destination: passSummary(raw.destination) },
  };
}

const DEAD_PEER = /Unable to write to socket: (?:Broken pipe|Connection reset by peer)/g;

export function normaliseEntries(entries: readonly TraceEntry[], racy: readonly string[] = []): string[] {
  return entries.flatMap((entry) => {
    const line = normaliseEntry(entry, racy)?.replace(DEAD_PEER, "Unable to write to socket: <peer gone>");
    return line === undefined ? [] : [line];
  });
}

function normaliseEntry(entry: TraceEntry, racy: readonly string[]): string | undefined {
  if (entry.kind === "reply")
    return `reply ${entry.command} ${stable(
      entry.command === "query-migrate" ? placeless(entry.return) : entry.return,
      entry.command === "query-migrate",
    )}`;
  if (entry.kind === "error") return `error ${entry.command} ${entry.class}: ${entry.desc}`;
  if (entry.kind === "snapshot") return `snapshot ${entry.label} ${stable(placeless(entry.info), true)}`;
  if (entry.event === "MIGRATION_PASS") return undefined;
  const status = entry.data?.status;
  if (entry.event === "MIGRATION" && typeof status === "string" && racy.includes(status)) return undefined;
  return `event ${entry.event}${entry.data === undefined ? "" : ` ${stable(entry.data, false)}`}`;
}

/** MigrationInfo with its listening addresses' per-run path and port hidden. */
function placeless(info: JsonValue): JsonValue {
  if (info === null || typeof info !== "object" || Array.isArray(info)) return info;
  const addresses = info["socket-address"];
  if (!Array.isArray(addresses)) return info;
  const hide = (a: JsonValue): JsonValue => {
    if (a === null || typeof a !== "object" || Array.isArray(a)) return a;
    const copy = { ...a };
    if ("path" in copy) copy.path = "<path>";
    if ("port" in copy) copy.port = "<port>";
    return copy;
  };
  return { ...info, "socket-address": addresses.map(hide) };
}

/** Drops MIGRATION events of the given statuses after their first one. */
function dropRepeats(entries: readonly TraceEntry[], statuses: readonly string[]): TraceEntry[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const status = entry.kind === "event" && entry.event === "MIGRATION" ? entry.data?.status : undefined;
    if (typeof status !== "string" || !statuses.includes(status)) return true;
    if (seen.has(status)) return false;
    seen.add(status);
    return true;
  });
}

/** Moves the replies of racy commands to the end, marked, in their own order. */
function floatReplies(lines: string[], commands: readonly string[]): string[] {
  const isFloating = (line: string) =>
    commands.some((c) => line.startsWith(`reply ${c} `) || line.startsWith(`error ${c} `));
  return [
    ...lines.filter((l) => !isFloating(l)),
    ...lines.filter(isFloating).map((l) => `(position not compared) ${l}`),
  ];
}

function passSummary(entries: readonly TraceEntry[]): PassSummary {
  const numbers = entries.flatMap((e) =>
    e.kind === "event" && e.event === "MIGRATION_PASS" ? [Number(e.data?.pass)] : [],
  );
  if (numbers.length === 0) return "none";
  return numbers.every((n, i) => n === i + 1) ? "counted from 1" : `out of order: ${numbers.join(",")}`;
}

/** JSON with sorted members; numbers hidden when they are measurements. */
export function stable(value: JsonValue, hideNumbers: boolean): string {
  return JSON.stringify(canonical(value, hideNumbers));
}

function canonical(value: JsonValue, hideNumbers: boolean): JsonValue {
  if (typeof value === "number") return hideNumbers ? "<n>" : value;
  if (Array.isArray(value)) return value.map((v) => canonical(v, hideNumbers));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical(value[k] as JsonValue, hideNumbers)]),
    );
  return value;
}

/**
 * The destination model against the real QEMU 7.2 installed here, where that needs no source:
 * every command a destination's client has, before listening, after a refused listen and while
 * listening, with `events` off and on — replies (class GenericError, QEMU's texts), the MIGRATION
 * events, query-migrate and query-jobs after each step. The states a source brings (active,
 * postcopy, recovery) are covered by the conformance catalogue on real QEMU pairs.
 * `postcopy-ram` is left out: a host without userfaultfd refuses it, which is not the model's
 * business.
 */
import { describe, expect, it } from "vitest";
import { findQemu, QmpError, startQemu } from "../helpers/qemu-process.ts";
import * as model from "./incoming-legacy-model.ts";
import {
  EVENTS_OFF,
  EVENTS_ON,
  INCOMING,
  INCOMING_ACTIONS,
  INCOMING_BAD,
  type IncomingAction,
  incomingSpecTrace,
  QUERY,
  RECOVER,
} from "./incoming-traces.ts";

const named = (name: string) => INCOMING_ACTIONS.find((a) => a.name === name) as IncomingAction;
const REFUSED_EVERYWHERE = [
  "migrate_cancel",
  "migrate-continue",
  "migrate-start-postcopy",
  "migrate-pause",
].map(named);
const PROBES = [QUERY, ...REFUSED_EVERYWHERE, RECOVER];

const SEQUENCES: IncomingAction[][] = [
  [
    ...PROBES,
    INCOMING_BAD,
    ...PROBES,
    INCOMING_BAD,
    INCOMING,
    ...PROBES,
    INCOMING,
    INCOMING_BAD,
    EVENTS_ON,
    QUERY,
  ],
  [EVENTS_ON, INCOMING_BAD, EVENTS_OFF, INCOMING, EVENTS_ON, ...PROBES, EVENTS_OFF, INCOMING, QUERY],
];

function skipReason(): string | undefined {
  if (findQemu()) return undefined;
  if (process.env.REQUIRE_QEMU === "1") throw new Error("REQUIRE_QEMU=1 but no qemu-system-x86_64 found");
  return "SKIPPED: no qemu-system-x86_64 (set QEMU=PATH); the destination model was not checked against QEMU";
}
const skip = skipReason();
if (skip) console.warn(skip);

/** The real QEMU listens on a free port; the trace shows the model's address in its place. */
const LISTEN_URI = "tcp:127.0.0.1:0";
const sameAddress = (value: unknown) => {
  const info = value as Record<string, unknown>;
  return info["socket-address"] ? { ...info, "socket-address": model.ADDRESS } : info;
};

async function qemuTrace(sequence: IncomingAction[]): Promise<string[]> {
  const qemu = await startQemu({
    args: ["-nodefaults", "-display", "none", "-machine", "pc,accel=tcg", "-m", "32", "-incoming", "defer"],
  });
  const out: string[] = [];
  try {
    const line = async (reply: string, events: number) => {
      const heard = qemu.qmp.events
        .slice(events)
        .filter((e) => e.event === "MIGRATION")
        .map((e) => `  ! MIGRATION ${(e.data as { status: string }).status}`);
      const query = sameAddress(await qemu.qmp.execute("query-migrate"));
      const jobs = (await qemu.qmp.execute("query-jobs")) as unknown[];
      return [reply, ...heard, `  query -> ${render(query)}`, `  jobs -> ${jobs.length}`].join("\n");
    };
    for (const action of sequence) {
      const { name, args } = action.command as { name: string; args?: Record<string, unknown> };
      const sent = args?.uri === model.URI ? { ...args, uri: LISTEN_URI } : args;
      const before = qemu.qmp.events.length;
      // QEMU sends a command's events before its reply: they are in by the time the reply is.
      const reply = await qemu.qmp.execute(name, sent).then(
        (value) => (name === "query-migrate" ? render(sameAddress(value)) : "{}"),
        (error: unknown) => {
          if (!(error instanceof QmpError) || error.errorClass !== "GenericError") throw error;
          return `error ${error.desc}`;
        },
      );
      out.push(await line(`${action.name} -> ${reply}`, before));
    }
  } finally {
    await qemu.stop();
  }
  return out;
}

/** As incoming-traces.ts renders query-migrate: status, error-desc, socket-address. */
function render(value: unknown): string {
  const v = value as Record<string, unknown>;
  if (Object.keys(v).length === 0) return "{}";
  return JSON.stringify({
    status: v.status,
    "error-desc": v["error-desc"],
    "socket-address": v["socket-address"],
  });
}

describe.skipIf(skip !== undefined)("the destination model is QEMU 7.2 where no source is needed", () => {
  for (const [index, sequence] of SEQUENCES.entries())
    it(`sequence ${index + 1}: ${sequence.length} commands, replies, events, query-migrate, query-jobs`, {
      timeout: 30_000,
    }, async () => {
      expect(await qemuTrace(sequence)).toEqual(incomingSpecTrace(sequence, true));
    });
});

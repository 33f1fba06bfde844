/**
 * Where a job facade keeps its migration job beyond its own lifetime, so a proxy that lost its
 * QEMU connection (socket reopened, proxy restarted) gives the migration QEMU is still running
 * the same job id. QEMU runs one migration at a time, so one entry per QEMU is enough: the job's
 * options, the capabilities to put back, and the last substatus its clients were told. A new
 * facade replays the job silently up to that substatus and then reports only what changed in
 * QEMU since: nothing is told twice, nothing is made up, nothing QEMU still reports is lost.
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import type { MigrationStatus } from "../../src/generated/types.ts";
import { isJsonObject, type JsonObject } from "../../src/qmp/json-value.ts";
import { type JobEventSink, MigrationJob, type MigrationJobOptions } from "./migration-job.ts";

export interface JournalEntry {
  options: MigrationJobOptions;
  restore: JsonObject[];
  /** The last substatus the job's clients were told. */
  told: MigrationStatus;
}

export interface JobJournal {
  load(): JournalEntry | undefined;
  save(entry: JournalEntry): void;
  forget(id: string): void;
}

/** A journal in one small JSON file per upstream, replaced atomically on every change. */
export function fileJournal(path: string): JobJournal {
  let entry: JournalEntry | undefined;
  return {
    load: () => {
      try {
        const parsed: unknown = JSON.parse(readFileSync(path, "utf8"));
        entry = isEntry(parsed) ? parsed : undefined;
      } catch {
        entry = undefined;
      }
      return entry;
    },
    save: (next) => {
      entry = next;
      writeFileSync(`${path}.tmp`, JSON.stringify(next));
      renameSync(`${path}.tmp`, path);
    },
    forget: (id) => {
      if (entry && entry.options.id !== id) return;
      entry = undefined;
      rmSync(path, { force: true });
    },
  };
}

/** A journal in memory: survives a reconnect within one process, not a restart. */
export function memoryJournal(): JobJournal {
  let entry: JournalEntry | undefined;
  return {
    load: () => entry,
    save: (next) => {
      entry = next;
    },
    forget: (id) => {
      if (entry?.options.id === id) entry = undefined;
    },
  };
}

/**
 * The journal's job rebuilt at the substatus its clients last heard, without events; `sink`
 * hears everything after. Returns the job, ready to observe QEMU's current status.
 */
export function replayJob(entry: JournalEntry, sink: JobEventSink): MigrationJob {
  let muted = true;
  const job = new MigrationJob(entry.options, {
    statusChanged: (id, status) => {
      if (!muted) sink.statusChanged(id, status);
    },
    substatusChanged: (id, substatus, unknown) => {
      if (!muted) sink.substatusChanged(id, substatus, unknown);
    },
    ...(sink.anomaly ? { anomaly: sink.anomaly } : {}),
  });
  job.announce();
  if (entry.told !== "none") job.observe(entry.told);
  muted = false;
  return job;
}

function isEntry(value: unknown): value is JournalEntry {
  if (!isJsonObject(value as never)) return false;
  const entry = value as Partial<JournalEntry>;
  return (
    typeof entry.told === "string" &&
    Array.isArray(entry.restore) &&
    typeof entry.options === "object" &&
    entry.options !== null &&
    typeof entry.options.id === "string"
  );
}

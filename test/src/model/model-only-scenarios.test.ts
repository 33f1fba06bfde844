/**
 * Catalogue scenarios tagged `modelOnly`: faults real QEMU cannot be made to produce on demand
 * (a network cut mid-precopy; a cut in postcopy, then recovery). They run on the model only and
 * are checked against what QEMU 7.2 is known to do (reference §2; decision 0001's notes on
 * postcopy recovery and the exiting destination), event by event.
 */
import { describe, expect, it } from "vitest";
import { CATALOGUE, modelBackend, modelBackendOf, runScenario } from "./catalogue.ts";

const named = (name: string) => {
  const scenario = CATALOGUE.find((s) => s.name.startsWith(name));
  if (!scenario?.modelOnly) throw new Error(`no model-only scenario '${name}'`);
  return scenario;
};
const migrationEvents = (trace: string[]) =>
  trace.filter(
    (l) => l.startsWith("! MIGRATION ") || l === "! STOP" || l === "! RESUME" || l.startsWith("x "),
  );

describe("model-only scenarios (faults on demand)", () => {
  it("a network drop while active fails both sides; the destination exits; the source keeps running", async () => {
    const t = await runScenario(named("network drop while active"), modelBackend);
    expect(migrationEvents(t.source)).toEqual([
      '! MIGRATION {"status":"setup"}',
      '! MIGRATION {"status":"active"}',
      '! MIGRATION {"status":"failed"}',
    ]);
    // trace-node.ts folds the two errno texts QEMU 7.2 gives for a dead peer into one.
    expect(t.source).toContain('< {"error-desc":"Unable to write to socket: <broken>","status":"failed"}');
    expect(t.source).toContain('< {"running":true,"singlestep":false,"status":"running"}');
    expect(migrationEvents(t.destination)).toEqual([
      '! MIGRATION {"status":"setup"}',
      '! MIGRATION {"status":"active"}',
      '! MIGRATION {"status":"failed"}',
      "x connection closed",
    ]);
  }, 30_000);

  it("a network drop in postcopy pauses both sides; migrate-recover + migrate resume complete it", async () => {
    const t = await runScenario(named("network drop in postcopy"), modelBackend);
    expect(migrationEvents(t.source)).toEqual([
      '! MIGRATION {"status":"setup"}',
      '! MIGRATION {"status":"active"}',
      '! MIGRATION {"status":"postcopy-active"}',
      "! STOP",
      '! MIGRATION {"status":"postcopy-paused"}',
      '! MIGRATION {"status":"postcopy-recover"}',
      '! MIGRATION {"status":"postcopy-active"}',
      '! MIGRATION {"status":"completed"}',
    ]);
    // QEMU 7.2's destination announces `setup` on migrate-recover while it stays paused.
    expect(migrationEvents(t.destination)).toEqual([
      '! MIGRATION {"status":"setup"}',
      '! MIGRATION {"status":"active"}',
      '! MIGRATION {"status":"postcopy-active"}',
      "! RESUME",
      '! MIGRATION {"status":"postcopy-paused"}',
      '! MIGRATION {"status":"setup"}',
      '! MIGRATION {"status":"postcopy-recover"}',
      '! MIGRATION {"status":"postcopy-active"}',
      '! MIGRATION {"status":"completed"}',
    ]);
    expect(t.destination.at(-1)).toBe('< {"running":true,"singlestep":false,"status":"running"}');
  }, 30_000);

  it("10.0: the postcopy recovery passes postcopy-recover-setup, and every switchover device", async () => {
    const t = await runScenario(named("network drop in postcopy"), modelBackendOf("10.0"));
    // From 10.0's migrate_prepare (resume) and migration_connect; no real trace: a real
    // migrate-pause made QEMU 10.0's destination fail instead of pausing on this machine.
    expect(migrationEvents(t.source)).toEqual([
      '! MIGRATION {"status":"setup"}',
      '! MIGRATION {"status":"active"}',
      "! STOP",
      '! MIGRATION {"status":"device"}',
      '! MIGRATION {"status":"postcopy-active"}',
      '! MIGRATION {"status":"postcopy-paused"}',
      '! MIGRATION {"status":"postcopy-recover-setup"}',
      '! MIGRATION {"status":"postcopy-recover"}',
      '! MIGRATION {"status":"postcopy-active"}',
      '! MIGRATION {"status":"completed"}',
    ]);
    expect(t.destination.at(-1)).toBe('< {"running":true,"status":"running"}');
  }, 30_000);
});

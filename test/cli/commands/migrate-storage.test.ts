/**
 * `jobshim migrate --storage`, run as the real bin. Bad flags: one clear line, exit 1. On real
 * QEMU 7.2 (N1's storage pair: a source whose qcow2 disk holds 8 MiB of known data, an empty
 * destination disk, both 16 MiB): the CLI exports the destination's disk over NBD, mirrors the
 * source's onto it and switches over with the migration; afterwards the disks are equal, the
 * destination runs, and nothing of the set-up is left in either QEMU. A bad node name, or a
 * failure half-way through the set-up, gives one line, exit 1, and leaves nothing running.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { migrationSkipReason } from "../../helpers/migration-pair.ts";
import { projectRoot } from "../../helpers/paths.ts";
import type { QmpConnection } from "../../helpers/qemu-process.ts";
import { type StoragePair, startStoragePair, storageToolsMissing } from "../../helpers/storage-pair.ts";
import { runJobshim } from "../run-jobshim.ts";

describe("jobshim migrate --storage: bad flags", () => {
  const refused = (args: string[], message: RegExp) => {
    const run = runJobshim(["migrate", "--source", "unix:/s", "--dest", "unix:/d", ...args]);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  };

  it("refuses --storage with --postcopy, naming why", () =>
    refused(
      ["--storage", "disk0", "--postcopy"],
      /^jobshim: --storage cannot be combined with --postcopy: .*pre-switchover/,
    ));
  it("refuses a value that is not NODE[=DEST_NODE]", () =>
    refused(["--storage", "a=b=c"], /^jobshim: --storage 'a=b=c' is not NODE or NODE=DEST_NODE/));
  it("refuses a node name QEMU would refuse", () =>
    refused(["--storage", "0disk"], /^jobshim: --storage '0disk' is not NODE/));
  it("refuses the same node twice", () =>
    refused(["--storage", "disk0", "--storage", "disk0=other"], /names the source node 'disk0' twice/));
});

const skip = migrationSkipReason() ?? storageToolsMissing();
if (skip) console.warn(`\n*** ${skip} ***\n`);

interface Line {
  type: string;
  [key: string]: unknown;
}

/** The bin with --json against the pair's free monitors; stdout parsed line by line at exit. */
function migrate(pair: StoragePair, extra: string[]) {
  const child = spawn(
    process.execPath,
    [
      path.join(projectRoot, "bin/jobshim.js"),
      ...["migrate", "--source", pair.source.facadeAddress, "--dest", pair.destination.facadeAddress],
      ...["--json", ...extra],
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => stderr,
    lines: () =>
      stdout
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Line),
  };
}

type Node = { "node-name": string };

/**
 * Nothing of the CLI's set-up is left: no job, no NBD client node, no export, no NBD server.
 * After an aborted migration QEMU 7.2's destination exits (decision 0003): then only the source.
 */
async function expectNothingLeft(pair: StoragePair, destinationExited = false): Promise<void> {
  const source = pair.source.truth;
  const destination = pair.destination.truth;
  expect(await source.execute("query-jobs")).toEqual([]);
  const nodes = (await source.execute("query-named-block-nodes", { flat: true })) as Node[];
  expect(nodes.map((n) => n["node-name"]).sort()).toEqual(["disk0", "file0"]);
  if (destinationExited) {
    await expect(destination.execute("query-status")).rejects.toThrow("QMP connection closed");
    return;
  }
  expect(await destination.execute("query-block-exports")).toEqual([]);
  await expect(destination.execute("nbd-server-stop")).rejects.toThrow("NBD server not running");
}

/** How the CLI's mirror ended, from the source's own monitor. */
function mirrorEnds(pair: StoragePair): unknown[] {
  return pair.source.truth.events
    .filter((e) => (e.data as { device?: string } | undefined)?.device === "jobshim-mirror-disk0")
    .map((e) => e.event)
    .filter((name) => name === "BLOCK_JOB_COMPLETED" || name === "BLOCK_JOB_CANCELLED");
}

async function waitFor(probe: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function runState(qmp: QmpConnection): Promise<string> {
  return String(((await qmp.execute("query-status")) as { status: string }).status);
}

describe.skipIf(skip !== undefined)("jobshim migrate --storage on real QEMU 7.2", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  /** N1's pair, minus the NBD server it starts itself: setting that up is the CLI's job here. */
  const pairWithoutNbd = async () => {
    const pair = await startStoragePair();
    cleanups.push(() => pair.stop());
    await pair.destination.truth.execute("nbd-server-stop");
    return pair;
  };
  const run = (pair: StoragePair, extra: string[]) => {
    const started = migrate(pair, extra);
    cleanups.push(async () => {
      if (started.child.exitCode === null) started.child.kill("SIGKILL");
    });
    return started;
  };

  it("mirrors the disk and switches over with the migration: the disks are equal, the destination runs, nothing is left", async () => {
    const pair = await pairWithoutNbd();
    const started = Date.now();
    const { exited, lines, stderr } = run(pair, ["--storage", "disk0"]);
    expect(await exited, stderr()).toBe(0);
    console.info(`storage migration (16 MiB disk, 64 MiB guest) took ${Date.now() - started} ms`);
    const all = lines();
    const storage = all.filter((l) => l.type === "storage");
    expect(storage.at(-1)?.mirrors).toEqual([
      expect.objectContaining({
        node: "disk0",
        "job-id": "jobshim-mirror-disk0",
        status: "ready",
        percent: 100,
      }),
    ]);
    const progress = all.filter((l) => l.type === "progress");
    expect(progress.length).toBeGreaterThan(0);
    for (const line of progress) expect(line.mirrors).toHaveLength(1);
    expect(progress.at(-1)).toMatchObject({ status: "concluded", substatus: "completed", percent: 100 });
    expect(all.find((l) => l.type === "finished")).toMatchObject({
      outcome: "completed",
      "destination-status": "completed",
    });
    expect(await runState(pair.destination.truth)).toBe("running");
    expect(await runState(pair.source.truth)).toBe("postmigrate");
    // Soft-completed by the transaction: ended once, with no error.
    expect(mirrorEnds(pair)).toEqual(["BLOCK_JOB_COMPLETED"]);
    const end = pair.source.truth.events.find((e) => e.event === "BLOCK_JOB_COMPLETED");
    expect((end?.data as { error?: string } | undefined)?.error).toBeUndefined();
    await expectNothingLeft(pair);
    await pair.source.instance.stop();
    await pair.destination.instance.stop();
    expect(pair.sameContent(pair.source.disk, pair.destination.disk)).toBe(true);
    expect(pair.sameContent(pair.pristine, pair.destination.disk)).toBe(true);
  }, 60_000);

  it("Ctrl-C mid-migration: the migration and the mirror abort together, the source runs on its intact disk, nothing is left", async () => {
    const pair = await pairWithoutNbd();
    // The idle guest sends ~0.6 MiB: at 50 KiB/s that takes ~12 s, time enough to interrupt it.
    const { child, exited, lines, stderr } = run(pair, ["--storage", "disk0", "--max-bandwidth", "0.05"]);
    await waitFor(() => lines().some((l) => l.type === "progress" && l.status === "running"), 20_000);
    child.kill("SIGINT");
    expect(await exited).toBe(1);
    expect(stderr()).toMatch(/^jobshim: interrupted: migration cancelled, the source keeps running\n$/);
    expect(lines().some((l) => l.type === "cancelled")).toBe(true);
    expect(mirrorEnds(pair)).toEqual(["BLOCK_JOB_CANCELLED"]);
    expect(await runState(pair.source.truth)).toBe("running");
    expect(await pair.source.truth.execute("query-migrate")).toMatchObject({ status: "cancelled" });
    await expectNothingLeft(pair, true);
    await pair.source.instance.stop();
    expect(pair.sameContent(pair.pristine, pair.source.disk)).toBe(true);
  }, 60_000);

  it("a node the source does not have: one clear line, exit 1, nothing started, the source runs", async () => {
    const pair = await pairWithoutNbd();
    const { exited, lines, stderr } = run(pair, ["--storage", "nosuch"]);
    expect(await exited).toBe(1);
    expect(lines()).toEqual([]);
    const errors = stderr().trim().split("\n");
    expect(errors).toEqual([
      "jobshim: --storage: the source QEMU has no block node 'nosuch' (its nodes: disk0, file0)",
    ]);
    await expectNothingLeft(pair);
    expect(await runState(pair.source.truth)).toBe("running");
    expect(await pair.source.truth.execute("query-migrate")).toEqual({});
  }, 30_000);

  it("a failure half-way through the set-up (the second disk cannot be exported): one line with QEMU's reason, exit 1, the first mirror and its NBD plumbing removed", async () => {
    const pair = await pairWithoutNbd();
    // file0 exists on both sides, but the destination's qcow2 node holds it and refuses writers.
    const { exited, lines, stderr } = run(pair, ["--storage", "disk0", "--storage", "file0"]);
    expect(await exited).toBe(1);
    expect(lines().filter((l) => l.type === "progress")).toEqual([]);
    const errors = stderr().trim().split("\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^jobshim: --storage file0: exporting the destination's 'file0' failed: GenericError: Permission conflict on node 'file0'/,
    );
    // disk0's mirror had been started, and was cancelled (never completed: nothing pivoted).
    expect(mirrorEnds(pair)).toEqual(["BLOCK_JOB_CANCELLED"]);
    await expectNothingLeft(pair);
    expect(await runState(pair.source.truth)).toBe("running");
    await pair.source.instance.stop();
    expect(pair.sameContent(pair.pristine, pair.source.disk)).toBe(true);
  }, 30_000);
});

/**
 * Real QEMU 7.2 through the job-facade proxy, job verbs only: every migration is started,
 * steered and ended with job-* commands; for every scenario the job events must be a legal
 * JobSTT walk, query-jobs must agree with the events, and QEMU's own query-migrate (passed
 * through unchanged) must agree with the job's substatus. Tests run one after another.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/qmp/json-value.ts";
import {
  type MigrationHarness,
  migrationSkipReason,
  type RecordingClient,
  startMigrationHarness,
  waitUntil,
} from "../helpers/migration-pair.ts";
import { isLegalJobWalk } from "./job-facade/legal-walk.ts";

const skipReason = migrationSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

/** 48 MiB of random RAM at 24 MiB/s: about two seconds of copying. */
const BANDWIDTH = 24 * 1024 * 1024;
const SOURCE = "m0";
const DEST = "in";

let harness: MigrationHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

async function start(jobArgs: JsonObject = {}): Promise<MigrationHarness> {
  harness = await startMigrationHarness();
  const h = harness;
  await h.destination.execute("job-migrate-incoming", {
    "job-id": DEST,
    uri: h.pair.migrationUri,
    "auto-dismiss": false,
  });
  await h.source.execute("job-migrate", {
    "job-id": SOURCE,
    uri: h.pair.migrationUri,
    "max-bandwidth": BANDWIDTH,
    ...jobArgs,
  });
  return h;
}

/** The three agreements every scenario must show, for one job as one client saw it. */
async function expectConsistent(client: RecordingClient, id: string, options: { qemuAlive?: boolean } = {}) {
  await new Promise((resolve) => setTimeout(resolve, 400)); // one poll period and a margin
  const trace = client.trace(id);
  expect(isLegalJobWalk(trace), trace.join(", ")).toBe(true);
  if (options.qemuAlive === false) return;
  const statuses = client.statuses(id);
  const job = (await client.jobs()).find((j) => j.id === id);
  if (statuses.at(-1) === "null") {
    expect(job).toBeUndefined();
    return;
  }
  expect(job?.status).toBe(statuses.at(-1));
  expect(job?.substatus).toBe(client.substatuses(id).at(-1));
  const migration = (await client.execute("query-migrate")) as JsonObject;
  expect(migration.status).toBe(job?.substatus);
}

describe.skipIf(skipReason !== undefined)(
  "job facade proxy in front of real QEMU",
  { timeout: 60_000 },
  () => {
    it("completes with auto-finalize and auto-dismiss on: the job passes pending and vanishes", async () => {
      const h = await start();
      await h.source.waitStatus(SOURCE, "null");
      expect(h.source.trace(SOURCE)).toEqual([
        "status created",
        "status running",
        "sub setup",
        "sub active",
        "status waiting",
        "status pending",
        "status concluded",
        "sub completed",
        "status null",
      ]);
      await expectConsistent(h.source, SOURCE);
      await h.destination.waitSubstatus(DEST, "completed");
      await expectConsistent(h.destination, DEST);
      expect(h.destination.statuses(DEST).at(-1)).toBe("concluded");
      expect((await h.source.execute("query-migrate")) as JsonObject).toMatchObject({ status: "completed" });
      // The capabilities the job set are put back: a client sees what it saw before.
      const caps = (await h.source.execute("query-migrate-capabilities")) as JsonObject[];
      const on = caps.filter((c) => c.state === true).map((c) => c.capability);
      expect(on).toEqual([]);
      // QEMU's `events` is on for the facade, yet this client never asked: no MIGRATION reached it.
      expect(h.source.events.filter((e) => e.event.startsWith("MIGRATION"))).toEqual([]);
    });

    it("auto-finalize off holds in pending at pre-switchover until job-finalize; auto-dismiss off keeps it", async () => {
      const h = await start({ "auto-finalize": false, "auto-dismiss": false });
      await h.source.waitSubstatus(SOURCE, "pre-switchover");
      await expectConsistent(h.source, SOURCE);
      const [held] = await h.source.jobs();
      expect(held).toMatchObject({ status: "pending", substatus: "pre-switchover" });
      await h.source.execute("job-finalize", { id: SOURCE });
      await h.source.waitSubstatus(SOURCE, "completed");
      await expectConsistent(h.source, SOURCE);
      expect(h.source.statuses(SOURCE)).toEqual(["created", "running", "waiting", "pending", "concluded"]);
      await expect(h.source.execute("job-finalize", { id: SOURCE })).rejects.toMatchObject({
        desc: `Job '${SOURCE}' in state 'concluded' cannot accept command verb 'finalize'`,
      });
      await h.source.execute("job-dismiss", { id: SOURCE });
      await h.source.waitStatus(SOURCE, "null");
      await expectConsistent(h.source, SOURCE);
      await expect(h.source.execute("job-dismiss", { id: SOURCE })).rejects.toMatchObject({
        desc: "Job not found",
      });
    });

    for (const phase of ["setup", "active", "pre-switchover"] as const) {
      it(`job-cancel in ${phase}: source cancelled with an error, destination failed`, async () => {
        const h = await start({ "auto-finalize": phase !== "pre-switchover", "auto-dismiss": false });
        await h.source.waitSubstatus(SOURCE, phase);
        if (phase === "active") await new Promise((resolve) => setTimeout(resolve, 300));
        await h.source.execute("job-cancel", { id: SOURCE });
        // QEMU 7.2 leaves setup within milliseconds: the verb is accepted while the job shows
        // setup, but QEMU may already be active when migrate_cancel reaches it.
        expect(h.source.substatuses(SOURCE)).toContain(phase);
        await h.source.waitSubstatus(SOURCE, "cancelled");
        expect(h.source.substatuses(SOURCE)).toContain("cancelling");
        await expectConsistent(h.source, SOURCE);
        const [job] = await h.source.jobs();
        expect(job).toMatchObject({ status: "concluded", error: "Operation canceled" });
        await h.destination.waitSubstatus(DEST, "failed");
        expect(h.destination.statuses(DEST).slice(-2)).toEqual(["aborting", "concluded"]);
        await expectConsistent(h.destination, DEST, { qemuAlive: false });
      });
    }

    it("postcopy: job-complete starts postcopy from ready; both jobs complete", async () => {
      const h = await start({ postcopy: true, "auto-dismiss": false });
      await h.source.waitSubstatus(SOURCE, "active");
      const [ready] = await h.source.jobs();
      expect(ready).toMatchObject({ status: "ready", postcopy: true });
      await h.source.execute("job-complete", { id: SOURCE });
      await h.source.waitSubstatus(SOURCE, "completed");
      expect(h.source.substatuses(SOURCE)).toContain("postcopy-active");
      await expectConsistent(h.source, SOURCE);
      await h.destination.waitSubstatus(DEST, "completed");
      expect(h.destination.substatuses(DEST)).toContain("postcopy-active");
      await expectConsistent(h.destination, DEST);
    });

    it("postcopy pause after a network interruption, recovery with job-change {uri} and job-resume", async () => {
      harness = await startMigrationHarness();
      const h = harness;
      const relay = await startRelay(h.pair.migrationUri.slice("unix:".length));
      try {
        await h.destination.execute("job-migrate-incoming", {
          "job-id": DEST,
          uri: h.pair.migrationUri,
          "auto-dismiss": false,
        });
        await h.source.execute("job-migrate", {
          "job-id": SOURCE,
          uri: relay.uri,
          postcopy: true,
          "auto-dismiss": false,
        });
        await h.source.waitSubstatus(SOURCE, "active");
        // Slow postcopy down so the interruption lands in the middle of it.
        await h.source.execute("job-change", {
          id: SOURCE,
          type: "migration",
          "max-postcopy-bandwidth": 4 << 20,
        });
        await h.source.execute("job-complete", { id: SOURCE });
        await h.source.waitSubstatus(SOURCE, "postcopy-active");
        await new Promise((resolve) => setTimeout(resolve, 300));
        relay.cut();
        await h.source.waitSubstatus(SOURCE, "postcopy-paused");
        await h.destination.waitSubstatus(DEST, "postcopy-paused");
        await expectConsistent(h.source, SOURCE);
        await expectConsistent(h.destination, DEST);
        expect((await h.source.jobs())[0]?.status).toBe("standby");
        expect((await h.destination.jobs())[0]?.status).toBe("paused");
        await expect(h.source.execute("job-cancel", { id: SOURCE })).rejects.toMatchObject({
          desc: `Job '${SOURCE}' in state 'standby' cannot accept command verb 'cancel'`,
        });
        // The destination listens again first, then the source reconnects: the legacy order.
        const again = `${h.pair.migrationUri}.recover`;
        await h.destination.execute("job-change", { id: DEST, type: "migration", uri: again });
        await h.destination.execute("job-resume", { id: DEST });
        await h.source.execute("job-change", { id: SOURCE, type: "migration", uri: again });
        await h.source.execute("job-resume", { id: SOURCE });
        await waitUntil(
          () =>
            h.source.substatuses(SOURCE).filter((s) => s === "postcopy-active").length === 2
              ? true
              : undefined,
          "postcopy-active again",
          30_000,
        );
        // Back in postcopy-active, set-speed is allowed again: lift the cap to finish quickly.
        await h.source.execute("job-change", { id: SOURCE, type: "migration", "max-postcopy-bandwidth": 0 });
        await h.source.waitSubstatus(SOURCE, "completed");
        await h.destination.waitSubstatus(DEST, "completed");
        expect(h.source.statuses(SOURCE)).toEqual([
          "created",
          "running",
          "ready",
          "standby",
          "ready",
          "waiting",
          "pending",
          "concluded",
        ]);
        expect(h.destination.statuses(DEST)).toEqual([
          "created",
          "running",
          "paused",
          "running",
          "waiting",
          "pending",
          "concluded",
        ]);
        expect(h.source.substatuses(SOURCE)).toContain("postcopy-recover");
        await expectConsistent(h.source, SOURCE);
        await expectConsistent(h.destination, DEST);
      } finally {
        await relay.close();
      }
    });

    it("destination killed mid-migration: the job concludes with QEMU's error", async () => {
      const h = await start({ "auto-dismiss": false });
      await h.source.waitSubstatus(SOURCE, "active");
      await new Promise((resolve) => setTimeout(resolve, 300));
      await h.pair.destination.kill();
      await h.source.waitSubstatus(SOURCE, "failed");
      await expectConsistent(h.source, SOURCE);
      const [job] = await h.source.jobs();
      const migration = (await h.source.execute("query-migrate")) as JsonObject;
      expect(typeof migration["error-desc"]).toBe("string");
      expect(job?.error).toBe(migration["error-desc"]);
    });

    it("two clients see the same events in the same order", async () => {
      harness = await startMigrationHarness();
      const h = harness;
      const second = await h.connectSource();
      await h.destination.execute("job-migrate-incoming", { "job-id": DEST, uri: h.pair.migrationUri });
      await h.source.execute("job-migrate", {
        "job-id": SOURCE,
        uri: h.pair.migrationUri,
        "max-bandwidth": BANDWIDTH,
      });
      await h.source.waitStatus(SOURCE, "null");
      await second.waitStatus(SOURCE, "null");
      const names = (c: RecordingClient) => c.events.map((e) => `${e.event} ${JSON.stringify(e.data ?? {})}`);
      expect(names(second)).toEqual(names(h.source));
      expect(h.source.trace(SOURCE).length).toBeGreaterThan(5);
      await expectConsistent(second, SOURCE);
    });

    it("a python3 client (stdlib only) drives a migration through the proxy socket", async () => {
      harness = await startMigrationHarness();
      const h = harness;
      await h.destination.execute("job-migrate-incoming", { "job-id": DEST, uri: h.pair.migrationUri });
      const script = path.join(h.pair.dir, "drive.py");
      writeFileSync(script, PYTHON_CLIENT);
      const socketPath = h.sourceAddress.slice("unix:".length);
      const output = await runPython(script, [socketPath, h.pair.migrationUri]);
      const result = JSON.parse(output.trim().split("\n").at(-1) ?? "{}") as {
        statuses: string[];
        job: JsonObject;
      };
      expect(result.statuses).toEqual(["created", "running", "waiting", "pending", "concluded"]);
      expect(result.job).toMatchObject({
        id: SOURCE,
        status: "concluded",
        substatus: "completed",
        type: "migration",
      });
      await h.destination.waitSubstatus(DEST, "completed");
      await expectConsistent(h.source, SOURCE);
    });
  },
);

/** A TCP relay in front of the destination's socket whose connections can be cut at once. */
async function startRelay(target: string) {
  const sockets = new Set<Socket>();
  const server = createServer((down) => {
    const up = connect(target);
    for (const socket of [down, up]) {
      sockets.add(socket);
      socket.on("error", () => undefined);
      socket.on("close", () => {
        down.destroy();
        up.destroy();
      });
    }
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const cut = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    uri: `tcp:127.0.0.1:${port}`,
    cut,
    close: () =>
      new Promise<void>((resolve) => {
        cut();
        server.close(() => resolve());
      }),
  };
}

function runPython(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", [script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      out += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      err += s;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`python3 exited ${code}: ${err}`));
    });
  });
}

/** A QMP client written without this project's code: stdlib socket and json only. */
const PYTHON_CLIENT = String.raw`
import json, socket, sys

path, uri = sys.argv[1], sys.argv[2]
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(path)
stream = sock.makefile("rw", encoding="utf-8", newline="\n")
statuses = []

def read():
    message = json.loads(stream.readline())
    if message.get("event") == "JOB_STATUS_CHANGE" and message["data"]["id"] == "m0":
        statuses.append(message["data"]["status"])
    return message

def execute(command, arguments=None):
    request = {"execute": command}
    if arguments is not None:
        request["arguments"] = arguments
    stream.write(json.dumps(request) + "\n")
    stream.flush()
    while True:
        message = read()
        if "return" in message:
            return message["return"]
        if "error" in message:
            raise SystemExit("QMP error: " + message["error"]["desc"])

assert "QMP" in read()
execute("qmp_capabilities")
execute("job-migrate", {"job-id": "m0", "uri": uri, "auto-dismiss": False, "max-bandwidth": ${BANDWIDTH}})
while "concluded" not in statuses:
    read()
job = [j for j in execute("query-jobs") if j["id"] == "m0"][0]
print(json.dumps({"statuses": statuses, "job": job}))
`;

/**
 * `jobshim qmp` as a script uses it, through the real bin: key=value arguments, --events,
 * --wait-event, and exit statuses that tell usage (2), connection (3), QMP error (4) and timeout
 * (5) apart. Upstream is the embedded QEMU model behind an in-process job facade proxy; a job
 * that fails after job-migrate returned {} must show its failure and error.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJobFacadeProxy, type JobFacadeProxy } from "../../../adapters/proxy.ts";
import { type ModelPair, startModelPair } from "../../../src/model/index.ts";
import { QmpServer } from "../../../src/qmp/index.ts";
import { projectRoot } from "../../helpers/paths.ts";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The bin in a child process, without blocking this process (it serves the upstream). */
function jobshim(...args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [path.join(projectRoot, "bin/jobshim.js"), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    stdout += s;
  });
  child.stderr.setEncoding("utf8").on("data", (s: string) => {
    stderr += s;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) =>
    child.once("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

const lines = (text: string) =>
  text
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { event?: string; data?: Record<string, unknown>; return?: unknown });

describe("jobshim qmp with events and exit statuses", { timeout: 60_000 }, () => {
  let pair: ModelPair;
  let source: JobFacadeProxy;
  let destination: JobFacadeProxy;
  const echo = new QmpServer({ handlers: { echo: (args) => args } });
  let echoAddress = "";
  const sourceAddress = () => `unix:${path.join(pair.dir, "source-proxy.sock")}`;
  const destinationAddress = () => `unix:${path.join(pair.dir, "destination-proxy.sock")}`;

  beforeAll(async () => {
    pair = await startModelPair({ fillMiB: 4 });
    source = await createJobFacadeProxy({ upstream: pair.source.qmpAddress, listen: [sourceAddress()] });
    destination = await createJobFacadeProxy({
      upstream: pair.destination.qmpAddress,
      listen: [destinationAddress()],
    });
    const listener = await echo.listen("tcp:127.0.0.1:0");
    echoAddress = `tcp:127.0.0.1:${(listener.address as { port: number }).port}`;
  });
  afterAll(async () => {
    await source?.close();
    await destination?.close();
    await pair?.stop();
    await echo.close();
  });

  it("reads key=value arguments as JSON where they parse, strings otherwise, dotted keys nested", async () => {
    const run = await jobshim(
      "qmp",
      echoAddress,
      "echo",
      "id=job0",
      "n=[1,2]",
      "on=true",
      "uri=unix:/x",
      "a.b=1",
      "a.c=x",
    );
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({
      id: "job0",
      n: [1, 2],
      on: true,
      uri: "unix:/x",
      a: { b: 1, c: "x" },
    });
  });

  it("exits 2 on a usage error, before connecting", async () => {
    const bad = await jobshim("qmp", "unix:/nonexistent/never.sock", "echo", "no-equals-sign");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe(
      "jobshim: argument 'no-equals-sign' is not key=value (or pass one JSON object, like '{\"id\": \"job0\"}')\n",
    );
    const missing = await jobshim("qmp", echoAddress);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe("error: missing required argument 'command'\n");
  });

  it("exits 3 when it cannot connect", async () => {
    const run = await jobshim("qmp", "unix:/nonexistent/never.sock", "query-status");
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/^jobshim: cannot connect to unix:\/nonexistent\/never\.sock: .*ENOENT.*\n$/);
  });

  it("exits 4 with CLASS: desc on a QMP error", async () => {
    const run = await jobshim("qmp", sourceAddress(), "job-dismiss", "id=nope");
    expect(run.status).toBe(4);
    expect(run.stderr).toBe("GenericError: Job not found\n");
  });

  it("exits 5 when the awaited event does not come within --wait-timeout", async () => {
    const run = await jobshim(
      "qmp",
      sourceAddress(),
      "query-jobs",
      "--wait-event",
      "STOP",
      "--wait-timeout",
      "300",
    );
    expect(run.status).toBe(5);
    expect(run.stderr).toBe("jobshim: no STOP event within 300 ms\n");
  });

  it("--events: a job-migrate to a bad URI returns {}, then its failure is shown and exits 4", async () => {
    const run = await jobshim(
      "qmp",
      sourceAddress(),
      "job-migrate",
      "job-id=bad0",
      "uri=unix:/nonexistent/migration.sock",
      "auto-dismiss=false",
      "--events",
    );
    const messages = lines(run.stdout);
    expect(messages).toContainEqual({ return: {} });
    const substatuses = messages
      .filter((m) => m.event === "JOB_SUBSTATUS_CHANGE")
      .map((m) => m.data?.substatus);
    expect(substatuses.at(-1)).toBe("failed");
    expect(run.stderr).toMatch(/^GenericError: job 'bad0' failed: .*\/nonexistent\/migration\.sock.*\n$/);
    expect(run.status).toBe(4);
    await jobshim("qmp", sourceAddress(), "job-dismiss", "id=bad0");
  });

  it("--events with auto-dismiss: the failure is shown, with how to keep the error", async () => {
    const run = await jobshim(
      "qmp",
      sourceAddress(),
      "job-migrate",
      "job-id=bad1",
      "uri=unix:/nonexistent/migration.sock",
      "--events",
    );
    expect(run.status).toBe(4);
    expect(run.stderr).toMatch(
      /^GenericError: job 'bad1' failed(: .*nonexistent.*|; its error went with the job \(auto-dismiss\): pass auto-dismiss=false to keep it for query-jobs)\n$/,
    );
  });

  it("--wait-event --match waits for the migration job to conclude and prints that event", async () => {
    const incoming = await jobshim(
      "qmp",
      destinationAddress(),
      "job-migrate-incoming",
      "job-id=in0",
      `uri=${pair.migrationUri}`,
    );
    expect(incoming.status, incoming.stderr).toBe(0);
    const run = await jobshim(
      "qmp",
      sourceAddress(),
      "job-migrate",
      "job-id=m0",
      `uri=${pair.migrationUri}`,
      "max-bandwidth=1073741824",
      "--wait-event",
      "JOB_STATUS_CHANGE",
      "--match",
      "id=m0",
      "--match",
      "status=concluded",
    );
    expect(run.status, run.stderr).toBe(0);
    const [reply, event] = run.stdout.trim().split("\n").slice(-2);
    expect(JSON.parse(reply ?? "")).toEqual({});
    expect(JSON.parse(event ?? "")).toMatchObject({
      event: "JOB_STATUS_CHANGE",
      data: { status: "concluded", id: "m0" },
    });
  });
});

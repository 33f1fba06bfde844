/**
 * `jobshim shell` fed from a pipe (a script, not a terminal) against the embedded model: no
 * prompt or greeting, each reply one line of QEMU's JSON, bad input answered without leaving,
 * and a monitor that goes away ends the shell with status 3 and one line saying so.
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { QemuModel } from "../../../src/model/index.ts";
import { projectRoot } from "../../helpers/paths.ts";

let model: QemuModel | undefined;
afterEach(async () => {
  await model?.close();
  model = undefined;
});

describe("jobshim shell from a pipe", { timeout: 60_000 }, () => {
  it("answers each line, and exits 3 when the monitor goes away", async () => {
    model = await QemuModel.start();
    const child = spawn(
      process.execPath,
      [path.join(projectRoot, "bin/jobshim.js"), "shell", model.qmpAddress],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    const timer = setTimeout(() => child.kill("SIGKILL"), 40_000);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
    });
    const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
    try {
      child.stdin.write(
        'query-status\n{"execute": "stop"}\nmigrate-set-parameters downtime-limit=x\nnot-a-command\n',
      );
      const deadline = Date.now() + 30_000;
      while (stdout.trim().split("\n").length < 5 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stdout.split("\n").slice(0, 5)).toEqual([
        '{"return": {"status": "running", "singlestep": false, "running": true}}',
        expect.stringMatching(/^\{"timestamp": \{"seconds": \d+, "microseconds": \d+\}, "event": "STOP"\}$/),
        '{"return": {}}',
        expect.stringMatching(
          /^\{"error": \{"class": "GenericError", "desc": "Parameter 'downtime-limit' expects .*"\}\}$/,
        ),
        '{"error": {"class": "CommandNotFound", "desc": "The command not-a-command has not been found"}}',
      ]);
      model.crash();
      expect(await exited).toBe(3);
      expect(stderr).toBe(`jobshim shell: the monitor at ${model.qmpAddress} closed the connection\n`);
    } finally {
      clearTimeout(timer);
      child.kill("SIGKILL");
    }
  });
});

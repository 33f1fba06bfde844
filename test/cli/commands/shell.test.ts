/**
 * `jobshim shell` in a real terminal (a tmux pane) against real QEMU, typed into as a user
 * types: Tab completion from QEMU's query-qmp-schema, key=value arguments QEMU then holds, an
 * event printed while the prompt waits (the half-typed line survives), history recalled with Up
 * in a later session, HMP mode, and Ctrl-D leaving with status 0. QEMU gets two monitors: the
 * shell holds one, the test's own client the other (one -qmp socket serves one client).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { QmpClient } from "../../../src/qmp/client.ts";
import type { JsonObject } from "../../../src/qmp/json-value.ts";
import { projectRoot } from "../../helpers/paths.ts";
import { type QemuMonitors, qemuOrSkipReason, startQemuMonitors } from "../../helpers/qemu-qmp-process.ts";
import { TmuxPane, tmuxSkipReason } from "../tmux-pane.ts";

const { binary, skipReason: qemuSkip } = qemuOrSkipReason();
const skipReason = qemuSkip ?? tmuxSkipReason();
if (skipReason) console.warn(`\n*** ${skipReason} ***\n`);

describe.skipIf(skipReason !== undefined)("jobshim shell in a terminal", { timeout: 60_000 }, () => {
  let qemu: QemuMonitors;
  let other: QmpClient;
  let dir: string;
  let pane: TmuxPane | undefined;

  beforeAll(async () => {
    qemu = await startQemuMonitors(binary as string);
    other = await QmpClient.connect(qemu.tcp);
    dir = mkdtempSync(path.join(tmpdir(), "jobshim-shell-test-"));
  });
  afterEach(() => {
    pane?.kill();
    pane = undefined;
  });
  afterAll(async () => {
    await other?.close();
    await qemu?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The shell in a fresh pane; its exit status lands in `exitFile` when it ends. */
  const startShell = async (history: string, exitFile: string, ...flags: string[]) => {
    const shell = `node bin/jobshim.js shell ${qemu.unix} --history ${history} ${flags.join(" ")}`;
    pane = new TmuxPane(`${shell}; echo "exit status $?" > ${exitFile}`, projectRoot);
    await pane.waitFor(/^\((QEMU|HMP)\) $/m);
    return pane;
  };

  it("completes names with Tab and sends key=value arguments as typed JSON", async () => {
    const shell = await startShell(path.join(dir, "h1"), path.join(dir, "e1"));
    shell.type("migrate-set-param");
    shell.keys("Tab");
    await shell.waitFor(/\(QEMU\) migrate-set-parameters $/m);
    shell.type("max-b");
    shell.keys("Tab");
    await shell.waitFor(/\(QEMU\) migrate-set-parameters max-bandwidth=$/m);
    shell.type("33554432 downtime-limit=450");
    shell.keys("Enter");
    await shell.waitFor(/^\{"return": \{\}\}$/m);
    const parameters = (await other.execute("query-migrate-parameters")) as JsonObject;
    expect(parameters["max-bandwidth"]).toBe(33554432);
    expect(parameters["downtime-limit"]).toBe(450);
  });

  it("prints an event while the prompt waits, and keeps the half-typed line", async () => {
    const shell = await startShell(path.join(dir, "h2"), path.join(dir, "e2"));
    shell.type("query-sta");
    await shell.waitFor(/\(QEMU\) query-sta$/m);
    await other.execute("stop");
    const screen = await shell.waitFor(/"event": "STOP"/);
    expect(screen.trimEnd().split("\n").at(-1)).toBe("(QEMU) query-sta");
    shell.type("tus");
    shell.keys("Enter");
    await shell.waitFor(/\{"return": \{"status": "paused"/);
    await other.execute("cont");
  });

  it("keeps history across sessions: Up recalls the last command; Ctrl-D leaves with status 0", async () => {
    const history = path.join(dir, "h3");
    const exitFile = path.join(dir, "e3");
    const first = await startShell(history, exitFile);
    first.type("query-name");
    first.keys("Enter");
    await first.waitFor(/^\{"return": \{\}\}$/m);
    first.keys("C-d");
    await waitForFile(exitFile);
    expect(readFileSync(exitFile, "utf8")).toBe("exit status 0\n");
    expect(readFileSync(history, "utf8")).toBe("query-name\n");

    const second = await startShell(history, path.join(dir, "e3b"));
    second.keys("Up");
    await second.waitFor(/\(QEMU\) query-name$/m);
    second.keys("Enter");
    await second.waitFor(/^\{"return": \{\}\}$/m);
  });

  it("-H sends HMP command lines through human-monitor-command", async () => {
    const shell = await startShell(path.join(dir, "h4"), path.join(dir, "e4"), "-H");
    shell.type("info status");
    shell.keys("Enter");
    await shell.waitFor(/^VM status: running$/m);
  });
});

async function waitForFile(file: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file) || readFileSync(file, "utf8") === "") {
    if (Date.now() > deadline) throw new Error(`${file} never appeared: the shell did not exit`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * `jobshim proxy` checks its access options before it connects anywhere: a bad policy file or
 * socket mode stops it at once with one line naming the problem (the upstream here does not
 * even exist, so reaching it would fail differently).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runJobshim } from "../run-jobshim.ts";

const dir = mkdtempSync(path.join(tmpdir(), "jobshim-cli-access-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const proxyWith = (...flags: string[]) =>
  runJobshim([
    "proxy",
    "--upstream",
    `unix:${path.join(dir, "nothing")}`,
    "--listen",
    `unix:${path.join(dir, "s")}`,
    ...flags,
  ]);

describe("jobshim proxy access options", () => {
  it("refuses a bad policy file with one line naming the file and the problem", () => {
    const file = path.join(dir, "bad.json");
    writeFileSync(file, '{"allow": ["query-*"], "deny": "stop"}');
    const run = proxyWith("--policy-file", file);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `jobshim: policy file ${file}: member 'deny' must be a list of command patterns\n`,
    );
  });

  it("refuses an unknown policy name and a bad socket mode", () => {
    const policy = proxyWith("--policy", "readonly");
    expect(policy.status).toBe(1);
    expect(policy.stderr).toMatch(
      /^jobshim: unknown policy 'readonly': built-in policies are read-only, full;/,
    );
    const mode = proxyWith("--socket-mode", "rw-------");
    expect(mode.status).toBe(1);
    expect(mode.stderr).toMatch(/^jobshim: invalid --socket-mode 'rw-------'/);
  });
});

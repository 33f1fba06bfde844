import { Command } from "commander";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { registerQmpCommand } from "../../../cli/commands/qmp.ts";
import { QmpCommandError, QmpServer } from "../../../src/qmp/index.ts";

/** Runs `jobshim qmp ...` in-process and captures what it prints and its exit code. */
async function run(...args: string[]) {
  const program = new Command("jobshim").exitOverride();
  registerQmpCommand(program);
  let stdout = "";
  let stderr = "";
  vi.spyOn(process.stdout, "write").mockImplementation((text) => {
    stdout += String(text);
    return true;
  });
  vi.spyOn(process.stderr, "write").mockImplementation((text) => {
    stderr += String(text);
    return true;
  });
  process.exitCode = undefined;
  let thrown: unknown;
  try {
    await program.parseAsync(["node", "jobshim", "qmp", ...args]);
  } catch (error) {
    thrown = error;
  } finally {
    vi.restoreAllMocks();
  }
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  return { stdout, stderr, exitCode, thrown };
}

describe("jobshim qmp ADDRESS COMMAND [ARGS-JSON]", () => {
  const server = new QmpServer({
    handlers: {
      "query-status": () => ({ status: "running", running: true }),
      echo: (args) => args,
      "job-cancel": () => {
        throw new QmpCommandError("GenericError", "Job ID 'x' not found");
      },
    },
  });
  let address = "";
  beforeAll(async () => {
    const listener = await server.listen("tcp:127.0.0.1:0");
    address = `tcp:127.0.0.1:${(listener.address as { port: number }).port}`;
  });
  afterAll(() => server.close());
  afterEach(() => vi.restoreAllMocks());

  it("prints the return value as JSON", async () => {
    const result = await run(address, "query-status");
    expect(JSON.parse(result.stdout)).toEqual({ status: "running", running: true });
    expect(result.exitCode).toBeUndefined();
  });

  it("passes ARGS-JSON as the arguments", async () => {
    const result = await run(address, "echo", '{"id": "job0", "n": [1, 2]}');
    expect(JSON.parse(result.stdout)).toEqual({ id: "job0", n: [1, 2] });
  });

  it("prints CLASS: desc on stderr and exits 4 on a QMP error", async () => {
    const result = await run(address, "job-cancel", '{"id": "x"}');
    expect(result.stderr).toBe("GenericError: Job ID 'x' not found\n");
    expect(result.stdout).toBe("");
    expect(result.exitCode).toBe(4);
  });

  it.each([
    ["{x", /^ARGS-JSON is not valid JSON: /],
    ["[1]", /^ARGS-JSON must be a JSON object/],
  ])("refuses ARGS-JSON %s in one clear line before connecting", async (bad, message) => {
    const result = await run("unix:/nonexistent/never-used.sock", "echo", bad);
    expect(String((result.thrown as Error).message)).toMatch(message);
    expect((result.thrown as Error).message).not.toContain("\n");
  });
});

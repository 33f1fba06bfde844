import { describe, expect, it } from "vitest";
import { runJobshim } from "./run-jobshim.ts";

describe("jobshim bin", () => {
  it("answers --help without a build step", () => {
    const run = runJobshim(["--help"]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("codegen");
  });

  it("rejects an unknown subcommand with one line and a non-zero exit", () => {
    const run = runJobshim(["frobnicate"]);
    expect(run.status).not.toBe(0);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toContain("unknown command 'frobnicate'");
  });
});

import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("jobshim bin", () => {
  it("answers --help without a build step", () => {
    const run = spawnSync(process.execPath, ["bin/jobshim.js", "--help"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("codegen");
  });
});

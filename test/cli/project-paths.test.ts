import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot, projectRoot, projectSchema } from "../../cli/project-paths.ts";

describe("project paths", () => {
  it("finds the package root, where the schema lives", () => {
    expect(existsSync(join(projectRoot, "package.json"))).toBe(true);
    expect(existsSync(projectSchema)).toBe(true);
  });

  it("finds the same root from the compiled CLI's directory (dist/cli), built or not", () => {
    expect(packageRoot(join(projectRoot, "dist", "cli"))).toBe(projectRoot);
    expect(packageRoot(join(projectRoot, "cli"))).toBe(projectRoot);
  });

  it("falls back to the parent directory outside any package", () => {
    const dir = mkdtempSync(join(tmpdir(), "jobshim-paths-"));
    try {
      expect(packageRoot(join(dir, "cli"))).toBe(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { defineConfig } from "vitest/config";
import PlainSummaryReporter from "./test/reporters/plain-summary.ts";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/setup/fast-check-seed.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", new PlainSummaryReporter()],
  },
});
